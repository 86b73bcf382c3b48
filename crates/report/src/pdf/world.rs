//! The typst world a document is compiled in: one main source, one JSON data file, the embedded
//! fonts and a fixed date. Nothing is read from disk and no package is ever downloaded, so the
//! same data always gives the same PDF.

use std::sync::LazyLock;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// DejaVu Serif Condensed (regular, bold, italic): it covers every Vietnamese letter with its
/// marks, and its width is close to the Times New Roman of official documents. Licence in
/// `fonts/LICENSE-DejaVu.txt`.
static FONT_FILES: [&[u8]; 3] = [
    include_bytes!("../../fonts/DejaVuSerifCondensed.ttf"),
    include_bytes!("../../fonts/DejaVuSerifCondensed-Bold.ttf"),
    include_bytes!("../../fonts/DejaVuSerifCondensed-Italic.ttf"),
];

/// The family name the templates ask for.
pub(super) const FONT_FAMILY: &str = "DejaVu Serif";

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

// Parsing the fonts and building the standard library take a few milliseconds: once per process.
static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    Fonts {
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("a fixed, well-formed virtual path");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// The main template and the data it reads as `json("/data.json")`.
pub(super) struct DocWorld {
    main: Source,
    data_id: FileId,
    data: Bytes,
    today: Option<Datetime>,
}

impl DocWorld {
    pub(super) fn new(source: String, data: Vec<u8>, today: Option<Datetime>) -> Self {
        DocWorld {
            main: Source::new(file_id("/main.typ"), source),
            data_id: file_id("/data.json"),
            data: Bytes::new(data),
            today,
        }
    }

    /// Typesets the document; errors carry typst's messages (a bug in a template, never in the
    /// data, which is only ever read as JSON).
    pub(super) fn compile(&self) -> Result<PagedDocument, String> {
        typst::compile::<PagedDocument>(self)
            .output
            .map_err(|errors| describe(&errors))
    }
}

pub(super) fn describe(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.data_id {
            Err(FileError::NotSource)
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        self.today
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_fonts_form_one_family_with_bold_and_italic() {
        let families: Vec<_> = FONTS.book.families().map(|(name, _)| name).collect();
        assert_eq!(families, [FONT_FAMILY]);
        assert_eq!(FONTS.fonts.len(), 3);
    }
}
