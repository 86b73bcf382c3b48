-- The public portal: news and announcements, the work calendar, linked websites, visit counts.
CREATE TABLE news_categories (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE news (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    category_id BIGINT NOT NULL REFERENCES news_categories(id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body_html TEXT NOT NULL,
    hot BOOLEAN NOT NULL DEFAULT FALSE,
    featured BOOLEAN NOT NULL DEFAULT FALSE,
    published_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX news_published ON news (published_at);

-- Full-text search over the folded text (no diacritics, đ → d), kept in step by triggers.
CREATE VIRTUAL TABLE news_fts USING fts5(search_text, content = 'news', content_rowid = 'id');
CREATE TRIGGER news_fts_insert AFTER INSERT ON news BEGIN
    INSERT INTO news_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER news_fts_delete AFTER DELETE ON news BEGIN
    INSERT INTO news_fts (news_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER news_fts_update AFTER UPDATE ON news BEGIN
    INSERT INTO news_fts (news_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO news_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TABLE news_attachments (
    id INTEGER PRIMARY KEY,
    news_id BIGINT NOT NULL REFERENCES news(id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    original_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    size BIGINT NOT NULL
);

CREATE TABLE calendar_events (
    id INTEGER PRIMARY KEY,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    title TEXT NOT NULL,
    location TEXT NOT NULL,
    chair TEXT NOT NULL,
    participants TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX calendar_starts ON calendar_events (starts_at);

CREATE TABLE links (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    position BIGINT NOT NULL
);

CREATE TABLE visits (
    day TEXT PRIMARY KEY,
    count BIGINT NOT NULL
);
