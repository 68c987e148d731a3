//! The token stream the parser reads, made one token at a time from the lexer: comments and
//! lexical errors are set aside, `input` and `expect` become keywords inside `test` blocks, and
//! the stream ends where brackets (or a chain of `not`) nest too deep. It also keeps what the
//! parser's error messages need to know about the tokens, so that no list of them is kept.

use std::collections::VecDeque;

use crate::syntax::lexer::{LexError, Lexeme, Lexemes, Token, Trivia, lexemes};
use crate::syntax::span::Span;

/// Deepest nesting of brackets (or chains of `not`) accepted. The parser itself is an LR
/// automaton with an explicit stack, but every later stage walks the tree recursively; a
/// bound here keeps them all safe from stack exhaustion on hostile input.
pub const MAX_NESTING: usize = 128;

type Spanned = (usize, Token, usize);

/// The parser's tokens, and what was set aside while making them.
pub struct TokenStream<'s> {
    lexemes: Lexemes<'s>,
    /// Tokens read ahead to recognise `test "NAME" {`.
    ahead: VecDeque<Spanned>,
    pub trivia: Vec<Trivia>,
    pub errors: Vec<LexError>,
    /// Per lexical error (same order): where the first token after it starts.
    next_token: Vec<Option<usize>>,
    /// Where the last token ends (0 without tokens).
    pub last_token_end: usize,
    /// Inside a `test` block: the bracket depth (the block's own brace is 1).
    test_depth: Option<usize>,
    depth: usize,
    nots: usize,
    /// The token where nesting went past [`MAX_NESTING`]; the stream ended there.
    pub too_deep: Option<Span>,
}

impl<'s> TokenStream<'s> {
    pub fn new(src: &'s str) -> TokenStream<'s> {
        TokenStream {
            lexemes: lexemes(src),
            ahead: VecDeque::new(),
            trivia: Vec::new(),
            errors: Vec::new(),
            next_token: Vec::new(),
            last_token_end: 0,
            test_depth: None,
            depth: 0,
            nots: 0,
            too_deep: None,
        }
    }

    /// Reads the rest of the text (after the parser stopped, or the stream ended), so that every
    /// comment and lexical error of the file is known.
    pub fn finish(&mut self) {
        self.ahead.clear();
        while self.pull().is_some() {}
    }

    /// Whether a syntax error at `at` directly follows a lexical error (no token between them):
    /// it is then usually that error's echo (`let x = "abc` then the next line).
    pub fn follows_lex_error(&self, at: usize) -> bool {
        self.errors
            .iter()
            .zip(&self.next_token)
            .any(|(e, next)| e.span.start() <= at && next.is_none_or(|start| start >= at))
    }

    /// The next token from the lexer, setting comments and errors aside.
    fn pull(&mut self) -> Option<Spanned> {
        loop {
            match self.lexemes.next()? {
                Lexeme::Token(start, tok, end) => {
                    for next in self.next_token.iter_mut().rev() {
                        if next.is_some() {
                            break;
                        }
                        *next = Some(start);
                    }
                    self.last_token_end = end;
                    return Some((start, tok, end));
                }
                Lexeme::Trivia(t) => self.trivia.push(t),
                Lexeme::Error(e) => {
                    self.errors.push(e);
                    self.next_token.push(None);
                }
            }
        }
    }

    /// The `n`th token after the current one, read ahead.
    fn peek(&mut self, n: usize) -> Option<&Token> {
        while self.ahead.len() <= n {
            let tok = self.pull()?;
            self.ahead.push_back(tok);
        }
        self.ahead.get(n).map(|t| &t.1)
    }

    /// `input` and `expect` are keywords only directly inside a `test` block, so they stay
    /// usable as names elsewhere. The grammar needs them as distinct tokens to stay LR(1).
    fn mark_test_keywords(&mut self, tok: &mut Token) {
        if let Some(depth) = self.test_depth {
            match tok {
                Token::LBrace | Token::LBracket | Token::LParen => {
                    self.test_depth = Some(depth + 1);
                    return;
                }
                Token::RBrace | Token::RBracket | Token::RParen => {
                    let depth = depth.saturating_sub(1);
                    self.test_depth = (depth > 0).then_some(depth);
                    return;
                }
                Token::Ident(name) if depth == 1 => {
                    match name.as_str() {
                        "input" => *tok = Token::InputKw,
                        "expect" => *tok = Token::ExpectKw,
                        _ => {}
                    }
                    return;
                }
                // An item keyword at depth 1 means the block was never closed: it ends there,
                // and the keyword may open the next test.
                _ if depth == 1 && tok.starts_item() => self.test_depth = None,
                _ => return,
            }
        }
        if *tok == Token::Test
            && matches!(self.peek(0), Some(Token::Str(_)))
            && matches!(self.peek(1), Some(Token::LBrace))
        {
            self.test_depth = Some(0);
        }
    }

    /// Counts nesting; false when `tok` goes past [`MAX_NESTING`].
    fn within_nesting(&mut self, tok: &Token) -> bool {
        match tok {
            Token::LParen | Token::LBracket | Token::LBrace => self.depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => {
                self.depth = self.depth.saturating_sub(1);
            }
            _ => {}
        }
        self.nots = if *tok == Token::Not { self.nots + 1 } else { 0 };
        self.depth <= MAX_NESTING && self.nots <= MAX_NESTING
    }
}

impl Iterator for TokenStream<'_> {
    type Item = Result<Spanned, LexError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.too_deep.is_some() {
            return None;
        }
        let (start, mut tok, end) = match self.ahead.pop_front() {
            Some(t) => t,
            None => self.pull()?,
        };
        if !self.within_nesting(&tok) {
            self.too_deep = Some(Span::new(start, end));
            return None;
        }
        self.mark_test_keywords(&mut tok);
        Some(Ok((start, tok, end)))
    }
}
