//! The lexer: `logos` turns source text into tokens, then [`lex`] splits the stream into the
//! tokens the parser sees and the *trivia* (comments and `##` doc comments) that the formatter
//! and hover need. Keeping trivia in a side table, rather than re-lexing later, means every
//! consumer sees the same comments at the same spans.

use std::fmt;

use logos::Logos;

use crate::syntax::span::Span;

/// Why a piece of text is not a token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LexErrorKind {
    /// A character that starts no token.
    #[default]
    UnexpectedChar,
    /// A string with a bad escape sequence; the offset is relative to the token start.
    BadEscape(usize),
    /// A string that runs into the end of the line or file.
    UnterminatedString,
    /// An integer that does not fit in 64 bits.
    IntegerTooLarge,
    /// `12x`, `1h30m`: a number followed by something that is not a duration unit.
    BadDuration,
    /// `'text'`: single quotes do not make strings.
    SingleQuoted,
    /// `&&`, `||`, `!`: operators from other languages.
    ForeignOperator,
}

/// A lexical error and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub kind: LexErrorKind,
    pub span: Span,
}

/// A duration literal: the value in seconds plus the text as written (`7d`), which the
/// formatter keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DurationLit {
    pub seconds: u64,
    pub text: String,
}

/// Tokens. Comments are tokens too; [`lex`] moves them to the trivia table.
#[derive(Logos, Debug, Clone, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(error = LexErrorKind)]
pub enum Token {
    #[regex(r"##[^\n]*", |lex| lex.slice()[2..].trim_end().to_owned(), allow_greedy = true)]
    DocComment(String),
    #[regex(r"#[^\n]*", |lex| lex.slice()[1..].trim_end().to_owned(), allow_greedy = true)]
    Comment(String),

    #[token("policy")]
    Policy,
    #[token("let")]
    Let,
    #[token("key")]
    Key,
    #[token("scope")]
    Scope,
    #[token("test")]
    Test,
    #[token("action")]
    Action,
    #[token("on")]
    On,
    #[token("unknown")]
    Unknown,
    #[token("prevent")]
    Prevent,
    #[token("issue")]
    Issue,
    #[token("trust")]
    Trust,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("in")]
    In,
    #[token("matches")]
    Matches,
    #[token("signed")]
    Signed,
    #[token("by")]
    By,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("description")]
    Description,
    #[token("trustroot")]
    TrustRoot,
    #[token("keyless")]
    Keyless,
    #[token("of")]
    Of,

    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_owned())]
    Ident(String),
    #[regex(r#""([^"\\\n]|\\[^\n])*""#, lex_string)]
    Str(String),
    #[regex(r#""([^"\\\n]|\\[^\n])*"#, unterminated)]
    UnterminatedStr,
    #[regex(r"'[^'\n]*'?", single_quoted)]
    SingleQuotedStr,
    #[regex(r"&&?|\|\|?|!", foreign_operator)]
    ForeignOp,
    #[regex(r"[0-9]+", lex_int)]
    Int(u64),
    #[regex(r"[0-9]+[A-Za-z_][A-Za-z0-9_]*", lex_duration)]
    Duration(DurationLit),

    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("=")]
    Assign,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,

    /// `input` inside a `test` block (a contextual keyword, see [`lex`]).
    InputKw,
    /// `expect` inside a `test` block (a contextual keyword, see [`lex`]).
    ExpectKw,
}

fn lex_string(lex: &mut logos::Lexer<Token>) -> Result<String, LexErrorKind> {
    let raw = lex.slice();
    // INVARIANT: the regex guarantees the surrounding quotes.
    unescape(&raw[1..raw.len() - 1]).map_err(|at| LexErrorKind::BadEscape(at + 1))
}

/// Decodes `\" \\ \n \t \u{HEX}`; on failure returns the byte offset of the bad escape.
pub fn unescape(body: &str) -> Result<String, usize> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, '"')) => out.push('"'),
            Some((_, '\\')) => out.push('\\'),
            Some((_, 'n')) => out.push('\n'),
            Some((_, 't')) => out.push('\t'),
            Some((_, 'u')) => {
                let rest = &body[i + 2..];
                let close = rest.find('}').ok_or(i)?;
                if !rest.starts_with('{') || !(2..=7).contains(&close) {
                    return Err(i);
                }
                let code = u32::from_str_radix(&rest[1..close], 16).map_err(|_| i)?;
                out.push(char::from_u32(code).ok_or(i)?);
                // Skip `{HEX}`.
                for _ in 0..=close {
                    chars.next();
                }
            }
            _ => return Err(i),
        }
    }
    Ok(out)
}

/// Escapes a string for printing back as a literal (the formatter's inverse of [`unescape`]).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn single_quoted(_: &mut logos::Lexer<Token>) -> Result<(), LexErrorKind> {
    Err(LexErrorKind::SingleQuoted)
}

fn foreign_operator(_: &mut logos::Lexer<Token>) -> Result<(), LexErrorKind> {
    Err(LexErrorKind::ForeignOperator)
}

fn unterminated(_: &mut logos::Lexer<Token>) -> Result<(), LexErrorKind> {
    Err(LexErrorKind::UnterminatedString)
}

fn lex_int(lex: &mut logos::Lexer<Token>) -> Result<u64, LexErrorKind> {
    lex.slice()
        .parse()
        .map_err(|_| LexErrorKind::IntegerTooLarge)
}

fn lex_duration(lex: &mut logos::Lexer<Token>) -> Result<DurationLit, LexErrorKind> {
    let text = lex.slice();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let per_unit: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(LexErrorKind::BadDuration),
    };
    let n: u64 = digits.parse().map_err(|_| LexErrorKind::IntegerTooLarge)?;
    let seconds = n
        .checked_mul(per_unit)
        .ok_or(LexErrorKind::IntegerTooLarge)?;
    Ok(DurationLit {
        seconds,
        text: text.to_owned(),
    })
}

/// A comment kept beside the token stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Trivia {
    pub span: Span,
    pub text: String,
    /// `##` doc comment (attaches to the next item) rather than a plain `#` comment.
    pub doc: bool,
}

/// The output of [`lex`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Lexed {
    pub tokens: Vec<(usize, Token, usize)>,
    pub trivia: Vec<Trivia>,
    pub errors: Vec<LexError>,
}

/// Lexes a whole file. Errors do not stop the lexer: the bad text is skipped and reported.
pub fn lex(src: &str) -> Lexed {
    let mut out = Lexed::default();
    for lexeme in lexemes(src) {
        match lexeme {
            Lexeme::Token(start, tok, end) => out.tokens.push((start, tok, end)),
            Lexeme::Trivia(t) => out.trivia.push(t),
            Lexeme::Error(e) => out.errors.push(e),
        }
    }
    out
}

/// One thing [`lexemes`] finds in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lexeme {
    /// A token the parser sees, with its byte range.
    Token(usize, Token, usize),
    /// A comment.
    Trivia(Trivia),
    /// Text that is not a token; it is skipped.
    Error(LexError),
}

/// The text's lexemes one at a time, so that the parser never holds a file's tokens all at
/// once (a generated set of 10,000 policies is half a million of them).
pub fn lexemes(src: &str) -> Lexemes<'_> {
    let mut lexer = Token::lexer(src);
    // Some Windows editors start UTF-8 files with a byte order mark; it is not text.
    if src.starts_with('\u{FEFF}') {
        lexer.bump('\u{FEFF}'.len_utf8());
    }
    Lexemes { lexer, src }
}

/// The iterator of [`lexemes`].
pub struct Lexemes<'s> {
    lexer: logos::Lexer<'s, Token>,
    src: &'s str,
}

impl Iterator for Lexemes<'_> {
    type Item = Lexeme;

    fn next(&mut self) -> Option<Lexeme> {
        let tok = self.lexer.next()?;
        let range = self.lexer.span();
        let span = Span::new(range.start, range.end);
        Some(match tok {
            Ok(Token::Comment(text)) => Lexeme::Trivia(Trivia {
                span,
                text,
                doc: false,
            }),
            Ok(Token::DocComment(text)) => Lexeme::Trivia(Trivia {
                span,
                text,
                doc: true,
            }),
            Ok(tok) => Lexeme::Token(range.start, tok, range.end),
            Err(kind) => {
                let span = match kind {
                    LexErrorKind::BadEscape(at) => {
                        let start = range.start + at;
                        let rest = &self.src[start..range.end];
                        // `\u{…}` is reported whole; any other escape is two characters.
                        let len: usize = match (rest.starts_with("\\u{"), rest.find('}')) {
                            (true, Some(close)) => close + 1,
                            _ => rest.chars().take(2).map(char::len_utf8).sum(),
                        };
                        Span::new(start, start + len)
                    }
                    _ => span,
                };
                Lexeme::Error(LexError { kind, span })
            }
        })
    }
}

impl Token {
    /// Whether the token is a keyword that starts a top-level item.
    pub fn starts_item(&self) -> bool {
        matches!(
            self,
            Token::Policy | Token::Let | Token::Key | Token::TrustRoot | Token::Scope | Token::Test
        )
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Token::DocComment(_) => "doc comment",
            Token::Comment(_) => "comment",
            Token::Policy => "`policy`",
            Token::Let => "`let`",
            Token::Key => "`key`",
            Token::Scope => "`scope`",
            Token::Test => "`test`",
            Token::Action => "`action`",
            Token::On => "`on`",
            Token::Unknown => "`unknown`",
            Token::Prevent => "`prevent`",
            Token::Issue => "`issue`",
            Token::Trust => "`trust`",
            Token::And => "`and`",
            Token::Or => "`or`",
            Token::Not => "`not`",
            Token::In => "`in`",
            Token::Matches => "`matches`",
            Token::Signed => "`signed`",
            Token::By => "`by`",
            Token::True => "`true`",
            Token::False => "`false`",
            Token::Description => "`description`",
            Token::TrustRoot => "`trustroot`",
            Token::Keyless => "`keyless`",
            Token::Of => "`of`",
            Token::Ident(name) => return write!(f, "name `{name}`"),
            Token::Str(_) | Token::UnterminatedStr | Token::SingleQuotedStr => "string",
            Token::ForeignOp => "operator",
            Token::Int(n) => return write!(f, "integer `{n}`"),
            Token::Duration(d) => return write!(f, "duration `{}`", d.text),
            Token::LBrace => "`{`",
            Token::RBrace => "`}`",
            Token::LParen => "`(`",
            Token::RParen => "`)`",
            Token::LBracket => "`[`",
            Token::RBracket => "`]`",
            Token::Comma => "`,`",
            Token::Colon => "`:`",
            Token::Dot => "`.`",
            Token::Assign => "`=`",
            Token::EqEq => "`==`",
            Token::NotEq => "`!=`",
            Token::Lt => "`<`",
            Token::Le => "`<=`",
            Token::Gt => "`>`",
            Token::Ge => "`>=`",
            Token::InputKw => "`input`",
            Token::ExpectKw => "`expect`",
        };
        f.write_str(s)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_leading_byte_order_mark_is_not_text() {
        let lexed = lex("\u{FEFF}let a = 1");
        assert!(lexed.errors.is_empty(), "{:?}", lexed.errors);
        assert_eq!(lexed.tokens.first().map(|t| t.0), Some(3));
        // Anywhere else it is a character no token starts with.
        assert!(!lex("let a = 1 \u{FEFF}").errors.is_empty());
    }

    use super::*;

    fn kinds(src: &str) -> Vec<Token> {
        lex(src).tokens.into_iter().map(|(_, t, _)| t).collect()
    }

    #[test]
    fn keywords_idents_and_literals() {
        assert_eq!(
            kinds(r#"policy "p" { trust tag != "a\"b" and scan.age < 7d }"#),
            vec![
                Token::Policy,
                Token::Str("p".into()),
                Token::LBrace,
                Token::Trust,
                Token::Ident("tag".into()),
                Token::NotEq,
                Token::Str("a\"b".into()),
                Token::And,
                Token::Ident("scan".into()),
                Token::Dot,
                Token::Ident("age".into()),
                Token::Lt,
                Token::Duration(DurationLit {
                    seconds: 7 * 86_400,
                    text: "7d".into()
                }),
                Token::RBrace,
            ]
        );
    }

    #[test]
    fn comments_are_trivia() {
        let l = lex("## doc\nlet x = 1 # trailing\n");
        assert_eq!(l.tokens.len(), 4);
        assert_eq!(l.trivia.len(), 2);
        assert!(l.trivia[0].doc);
        assert_eq!(l.trivia[0].text, " doc");
        assert!(!l.trivia[1].doc);
    }

    #[test]
    fn errors_are_reported_and_skipped() {
        let l = lex("let x = \"abc\nlet y = 1h30m @");
        let kinds: Vec<_> = l.errors.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                LexErrorKind::UnterminatedString,
                LexErrorKind::BadDuration,
                LexErrorKind::UnexpectedChar
            ]
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape(r"a\u{41}\n").unwrap(), "aA\n");
        assert_eq!(unescape(r"a\q"), Err(1));
        assert_eq!(unescape(r"\u{zz}"), Err(0));
        let s = "tab\there \"q\" \\ \u{1}";
        let lexed = lex(&escape(s));
        assert_eq!(lexed.tokens[0].1, Token::Str(s.to_owned()));
    }
}
