//! Errors of the writers (readers report [`parindex_core::diag::Problems`] instead).

use std::fmt;

/// Why a report could not be produced.
#[derive(Debug)]
pub enum ReportError {
    /// The workbook writer refused the content (e.g. a text longer than Excel's 32 767 characters).
    Xlsx(rust_xlsxwriter::XlsxError),
    /// The typesetter refused a document (typst's messages; a template bug, never bad data).
    Pdf(String),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Xlsx(e) => write!(
                f,
                "could not write the workbook (không ghi được bảng tính): {e}"
            ),
            ReportError::Pdf(e) => write!(f, "could not typeset the PDF (không tạo được PDF): {e}"),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportError::Xlsx(e) => Some(e),
            ReportError::Pdf(_) => None,
        }
    }
}

impl From<rust_xlsxwriter::XlsxError> for ReportError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        ReportError::Xlsx(e)
    }
}
