//! What an upload holds, judged by its bytes rather than by what the client claims, and the
//! names and types it is stored and served with.

/// Bytes of a file's start that [`image_type`] needs.
pub const SNIFF_LEN: usize = 8;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_SIGNATURE: &[u8] = b"\xff\xd8\xff";

/// `image/png` or `image/jpeg` when the file starts like one, whatever its name says.
pub fn image_type(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(PNG_SIGNATURE) {
        Some("image/png")
    } else if head.starts_with(JPEG_SIGNATURE) {
        Some("image/jpeg")
    } else {
        None
    }
}

pub const MAX_NAME_CHARS: usize = 255;
const DEFAULT_NAME: &str = "file";

/// The name to keep for an upload: the last path segment of what the client sent, without
/// control characters, at most [`MAX_NAME_CHARS`] characters; `file` when nothing is left.
pub fn clean_name(raw: Option<&str>) -> String {
    let last = raw.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." { DEFAULT_NAME.into() } else { cleaned.into() }
}

const OCTET_STREAM: &str = "application/octet-stream";

/// The media type to serve an attachment with: the declared one when it is a plain
/// `type/subtype` (parameters dropped, lower-cased), else `application/octet-stream`.
/// Downloads are served as attachments with `nosniff`, so the type cannot make a browser run
/// the file.
pub fn attachment_type(declared: Option<&str>) -> String {
    let Some(essence) = declared.and_then(|d| d.split(';').next()).map(|e| e.trim().to_ascii_lowercase()) else {
        return OCTET_STREAM.into();
    };
    let token = |s: &str| {
        !s.is_empty() && s.len() <= 100 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => essence,
        _ => OCTET_STREAM.into(),
    }
}

/// `Content-Disposition` for a download: an ASCII fallback name and the exact name in
/// RFC 8187 encoding, so no name can break out of the header.
pub fn content_disposition(disposition: &str, name: &str) -> String {
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_first_bytes() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(image_type(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(image_type(b"GIF89a"), None);
        assert_eq!(image_type(b"\x89PN"), None);
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_name(Some("C:\\Users\\me\\report.pdf")), "report.pdf");
        assert_eq!(clean_name(Some("a\u{0}b\r\n.txt")), "ab.txt");
        assert_eq!(clean_name(Some("..")), "file");
        assert_eq!(clean_name(None), "file");
        assert_eq!(clean_name(Some(&"x".repeat(300))).len(), 255);
    }

    #[test]
    fn declared_types_are_kept_only_when_well_formed() {
        assert_eq!(attachment_type(Some("Text/Plain; charset=utf-8")), "text/plain");
        assert_eq!(attachment_type(Some("image/svg+xml")), "image/svg+xml");
        assert_eq!(attachment_type(Some("nonsense")), "application/octet-stream");
        assert_eq!(attachment_type(Some("a/b\r\nX-Evil: 1")), "application/octet-stream");
        assert_eq!(attachment_type(None), "application/octet-stream");
    }

    #[test]
    fn dispositions_quote_safely() {
        assert_eq!(
            content_disposition("attachment", "rép\"ort.pdf"),
            "attachment; filename=\"r_p_ort.pdf\"; filename*=UTF-8''r%C3%A9p%22ort.pdf"
        );
    }
}
