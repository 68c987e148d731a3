//! The tree walk: decides, for each item, clause, chain, list and object, whether it goes on
//! one line or several, and hands comments to the printer at the *slots* between lines.
//!
//! A slot is the start of a line the layout is about to open (an item, a clause, an element of
//! a broken chain or list, a closing bracket). Every comment not yet printed that starts before
//! the slot's source position is printed there: a comment that trailed code in the source is
//! attached to the end of the last line of code, a comment that stood on its own line is
//! printed on its own line, at the slot's indentation. Comments inside code that stays on one
//! line are collected when that line closes and trail it ([`Printer::close`]).
//!
//! A construct is *forced* onto several lines when a comment sits at a place only a broken
//! layout can keep it: between two operands of an `and`/`or` chain, or anywhere inside a list,
//! an object or parentheses. Forcing propagates outwards (a broken element breaks its chain),
//! so a closing bracket is only ever followed on its line by a comma or by the rest of a
//! comparison.

use crate::syntax::ast::{
    Call, ClauseKind, Compare, Expr, ExprKind, Field, File, Ident, Item, KeylessClauseKind,
    Operand, OperandKind, TestClauseKind, Value, ValueKind,
};
use crate::syntax::lexer::escape;
use crate::syntax::span::Span;

use super::MAX_WIDTH;
use super::comments::{Comments, blank_line_before};
use super::printer::Printer;

/// Indentation of a block's clauses and of a broken object's or list's elements in test input.
const INDENT: usize = 2;
/// Indentation of continuation lines inside expressions: the operands of a broken chain, the
/// contents of broken parentheses and lists.
const CONTINUATION: usize = 4;

/// Whether an empty line goes before the first line a slot prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blank {
    Never,
    Always,
    /// When the source had one there.
    Source,
}

/// The formatter proper: the source, its comments and the output.
pub(super) struct Layout<'a> {
    src: &'a str,
    comments: Comments,
    out: Printer,
}

/// The layout met a node that only a file with syntax errors contains.
#[derive(Debug)]
pub(super) struct ErrorNode(pub Span);

impl<'a> Layout<'a> {
    pub(super) fn new(src: &'a str, comments: Comments) -> Layout<'a> {
        Layout {
            src,
            comments,
            out: Printer::new(),
        }
    }

    /// Lays out a whole file and returns the text.
    pub(super) fn file(mut self, file: &File) -> Result<String, ErrorNode> {
        let mut prev: Option<&Item> = None;
        for item in &file.items {
            let first = match prev {
                None => Blank::Never,
                Some(p) if is_block(p) || is_block(item) => Blank::Always,
                Some(_) => Blank::Source,
            };
            self.slot(item.span().start(), 0, first, true, true);
            self.item(item)?;
            prev = Some(item);
        }
        let first = match prev {
            None => Blank::Never,
            Some(p) if is_block(p) => Blank::Always,
            Some(_) => Blank::Source,
        };
        self.slot(usize::MAX, 0, first, true, false);
        Ok(self.out.finish(&mut self.comments))
    }

    /// Prints the comments that come before `pos` (see the module docs) and the empty line,
    /// if any, that goes before the line starting at `pos`. `keep` says whether empty lines of
    /// the source are kept after the first line; `node` whether a line starts at `pos` (false
    /// for closing brackets, which never follow an empty line, and the end of the file).
    fn slot(&mut self, pos: usize, indent: usize, first: Blank, keep: bool, node: bool) {
        self.out.close(&mut self.comments);
        let mut own_line_seen = false;
        let mut first_line = true;
        for i in self.comments.take_before(pos) {
            let c = self.comments.get(i);
            if !c.own_line && !own_line_seen && self.out.attach_trailing(i) {
                continue;
            }
            let blank = if first_line {
                first == Blank::Always || (first == Blank::Source && c.blank_before)
            } else {
                keep && c.blank_before
            };
            if blank {
                self.out.blank();
            }
            self.out.comment_line(indent, i, &self.comments);
            own_line_seen = true;
            first_line = false;
        }
        if node {
            let blank = if first_line {
                first == Blank::Always
                    || (first == Blank::Source && blank_line_before(self.src, pos))
            } else {
                keep && blank_line_before(self.src, pos)
            };
            if blank {
                self.out.blank();
            }
        }
    }

    // ------------------------------------------------------------ items and clauses

    fn item(&mut self, item: &Item) -> Result<(), ErrorNode> {
        self.out.open(0, 0);
        match item {
            Item::Let(l) => {
                self.out.push(&format!("let {} = ", l.name.name));
                self.out.mark(l.name.span.end());
                self.operand(&l.value, 0);
            }
            Item::Key(k) => {
                self.out.push(&format!(
                    "key {} = {}({})",
                    k.name.name,
                    k.source.name,
                    escape(&k.arg.value)
                ));
                // Options stay on the key's line: there are few, and one line keeps a list of
                // keys scannable.
                if let Some(opts) = &k.options {
                    let inner: Vec<String> = opts
                        .options
                        .iter()
                        .map(|o| format!("{} {}", o.word.name, o.name.name))
                        .collect();
                    if inner.is_empty() {
                        self.out.push(" {}");
                    } else {
                        self.out.push(&format!(" {{ {} }}", inner.join(" ")));
                    }
                }
                self.out.mark(k.span.end());
            }
            Item::Keyless(k) => {
                let header = format!("key {} = keyless", k.name.name);
                let clauses: Vec<Span> = k.clauses.iter().map(|c| c.span).collect();
                self.block(&header, k.keyword, k.span, &clauses, |this, i| {
                    let c = &k.clauses[i];
                    match &c.kind {
                        KeylessClauseKind::Word { word, name } => {
                            this.out.push(&format!("{} {}", word.name, name.name));
                        }
                        KeylessClauseKind::Constraint {
                            attr, op, value, ..
                        } => {
                            this.out.push(&format!("{} {} ", attr.name, op.as_str()));
                            this.operand(value, 0);
                        }
                        KeylessClauseKind::Error => return Err(ErrorNode(c.span)),
                    }
                    this.out.mark(c.span.end());
                    Ok(())
                })?;
            }
            Item::TrustRoot(t) => {
                self.out.push(&format!(
                    "trustroot {} = {}({})",
                    t.name.name,
                    t.source.name,
                    escape(&t.arg.value)
                ));
                self.out.mark(t.span.end());
            }
            Item::Scope(s) => {
                self.out.push(&format!("scope {} = ", s.name.name));
                self.out.mark(s.name.span.end());
                self.expr(&s.expr, 0);
            }
            Item::Policy(p) => {
                let header = format!("policy {}", escape(&p.name.value));
                let clauses: Vec<Span> = p.clauses.iter().map(|c| c.span).collect();
                self.block(&header, p.name.span, p.span, &clauses, |this, i| {
                    this.clause(&p.clauses[i].kind, p.clauses[i].span)
                })?;
            }
            Item::Test(t) => {
                let header = format!("test {}", escape(&t.name.value));
                let clauses: Vec<Span> = t.clauses.iter().map(|c| c.span).collect();
                self.block(&header, t.name.span, t.span, &clauses, |this, i| {
                    this.test_clause(&t.clauses[i].kind, t.clauses[i].span)
                })?;
            }
            Item::Error(span) => return Err(ErrorNode(*span)),
        }
        Ok(())
    }

    /// `HEADER { clauses }`: `{}` when empty, else one clause per line. `clause(self, i)`
    /// prints clause `i` (always an index into `clauses`) on an open line.
    fn block(
        &mut self,
        header: &str,
        name: Span,
        span: Span,
        clauses: &[Span],
        mut clause: impl FnMut(&mut Self, usize) -> Result<(), ErrorNode>,
    ) -> Result<(), ErrorNode> {
        self.out.push(header);
        if clauses.is_empty() && !self.comments.any_in(span.start(), span.end()) {
            self.out.push(" {}");
            self.out.mark(span.end());
            return Ok(());
        }
        self.out.push(" {");
        self.out.mark(name.end());
        for (i, c) in clauses.iter().enumerate() {
            let first = if i == 0 { Blank::Never } else { Blank::Source };
            self.slot(c.start(), INDENT, first, true, true);
            self.out.open(INDENT, INDENT);
            clause(self, i)?;
        }
        let first = if clauses.is_empty() {
            Blank::Never
        } else {
            Blank::Source
        };
        self.slot(span.end().saturating_sub(1), INDENT, first, true, false);
        self.out.open(0, INDENT);
        self.out.push("}");
        self.out.mark(span.end());
        Ok(())
    }

    fn clause(&mut self, kind: &ClauseKind, span: Span) -> Result<(), ErrorNode> {
        match kind {
            ClauseKind::Action(a, _) => self.out.push(&format!("action {}", a.as_str())),
            ClauseKind::OnUnknown(a, _) => {
                self.out.push(&format!("on unknown {}", a.as_str()));
            }
            ClauseKind::Scope(e) => {
                self.out.push("scope ");
                self.expr(e, 0);
            }
            ClauseKind::Trust(e) => {
                self.out.push("trust ");
                self.expr(e, 0);
            }
            ClauseKind::Description(s) => {
                self.out.push(&format!("description {}", escape(&s.value)));
            }
            ClauseKind::Error => return Err(ErrorNode(span)),
        }
        self.out.mark(span.end());
        Ok(())
    }

    fn test_clause(&mut self, kind: &TestClauseKind, span: Span) -> Result<(), ErrorNode> {
        match kind {
            TestClauseKind::Input(v) => {
                self.out.push("input ");
                self.value(v, 0);
            }
            TestClauseKind::ExpectPrevent => self.out.push("expect prevent"),
            TestClauseKind::ExpectWord(w) => self.out.push(&format!("expect {}", w.name)),
            TestClauseKind::ExpectImage(w, s) => {
                self.out
                    .push(&format!("expect {} {}", w.name, escape(&s.value)));
            }
            TestClauseKind::ExpectCount(w, k, n, _) => {
                self.out.push(&format!("expect {} {} {n}", w.name, k.name));
            }
            TestClauseKind::Error => return Err(ErrorNode(span)),
        }
        self.out.mark(span.end());
        Ok(())
    }

    // ------------------------------------------------------------ expressions

    /// Prints `e` from the current column; `trail` is how many columns follow it on its last
    /// line. One line when it fits and nothing forces a break; otherwise the loosest operator
    /// breaks first and each piece gets the same choice on its own line.
    fn expr(&mut self, e: &Expr, trail: usize) {
        if !self.expr_forced(e) {
            let flat = flat_expr(e);
            if self.out.column() + width(&flat) + trail <= MAX_WIDTH {
                self.out.push(&flat);
                self.out.mark(e.span.end());
                return;
            }
        }
        match &e.kind {
            ExprKind::Or(parts) | ExprKind::And(parts) => {
                let op = if matches!(e.kind, ExprKind::Or(_)) {
                    "or "
                } else {
                    "and "
                };
                // A chain that starts its own line (inside parentheses) keeps its operands at
                // that line's indentation; one that follows `trust ` or `or ` hangs deeper.
                let indent = if self.out.at_line_start() {
                    self.out.indent()
                } else {
                    self.out.indent() + CONTINUATION
                };
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        self.slot(part.span.start(), indent, Blank::Never, false, true);
                        self.out.open(indent, indent);
                        self.out.push(op);
                    }
                    let t = if i + 1 == parts.len() { trail } else { 0 };
                    self.expr(part, t);
                }
            }
            ExprKind::Paren(inner) => {
                let outer = self.out.indent();
                let inside = outer + CONTINUATION;
                self.out.push("(");
                self.out.mark(e.span.start() + 1);
                self.slot(inner.span.start(), inside, Blank::Never, false, true);
                self.out.open(inside, inside);
                self.expr(inner, 0);
                self.slot(
                    e.span.end().saturating_sub(1),
                    inside,
                    Blank::Never,
                    false,
                    false,
                );
                self.out.open(outer, inside);
                self.out.push(")");
                self.out.mark(e.span.end());
            }
            ExprKind::Not(inner) => {
                self.out.push("not ");
                self.expr(inner, trail);
            }
            ExprKind::Compare(c) => {
                let Compare { lhs, op, rhs, .. } = &**c;
                // What must fit after the left operand: the operator and the right operand,
                // or just its `[` when it is a list (which can break). Deliberately blind to
                // comments, whose position differs between a file and its formatted form.
                let rhs_width = match rhs.kind {
                    OperandKind::List(_) => 1,
                    _ => width(&flat_operand(rhs)),
                };
                self.operand(lhs, op.as_str().len() + 2 + rhs_width + trail);
                self.out.push(&format!(" {} ", op.as_str()));
                self.operand(rhs, trail);
            }
            ExprKind::SignedBy(k) => {
                self.out.push(&format!("signed by {}", k.name));
                self.out.mark(e.span.end());
            }
            ExprKind::SignedByN { .. } => {
                self.out.push(&flat_expr(e));
                self.out.mark(e.span.end());
            }
            ExprKind::Operand(o) => self.operand(o, trail),
        }
    }

    /// Whether a comment forces `e` (or something inside it) onto several lines.
    fn expr_forced(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Or(parts) | ExprKind::And(parts) => {
                parts
                    .windows(2)
                    .any(|w| self.comments.any_in(w[0].span.end(), w[1].span.start()))
                    || parts.iter().any(|p| self.expr_forced(p))
            }
            ExprKind::Paren(_) => self.comments.any_in(e.span.start(), e.span.end()),
            ExprKind::Not(inner) => self.expr_forced(inner),
            ExprKind::Compare(c) => self.operand_forced(&c.lhs) || self.operand_forced(&c.rhs),
            ExprKind::SignedBy(_) | ExprKind::SignedByN { .. } => false,
            ExprKind::Operand(o) => self.operand_forced(o),
        }
    }

    fn operand_forced(&self, o: &Operand) -> bool {
        matches!(o.kind, OperandKind::List(_)) && self.comments.any_in(o.span.start(), o.span.end())
    }

    fn operand(&mut self, o: &Operand, trail: usize) {
        match &o.kind {
            OperandKind::List(items) => {
                let elems: Vec<Elem> = items.iter().map(Elem::Operand).collect();
                self.list(o.span, ("[", "]"), &elems, trail, CONTINUATION);
            }
            _ => {
                self.out.push(&flat_operand(o));
                self.out.mark(o.span.end());
            }
        }
    }

    // ------------------------------------------------------------ lists and test input

    fn value(&mut self, v: &Value, trail: usize) {
        match &v.kind {
            ValueKind::List(items) => {
                let elems: Vec<Elem> = items.iter().map(Elem::Value).collect();
                self.list(v.span, ("[", "]"), &elems, trail, INDENT);
            }
            ValueKind::Object(fields) => {
                let elems: Vec<Elem> = fields.iter().map(Elem::Field).collect();
                self.list(v.span, ("{", "}"), &elems, trail, INDENT);
            }
            _ => {
                self.out.push(&flat_value(v));
                self.out.mark(v.span.end());
            }
        }
    }

    /// A bracketed sequence: on one line when it fits and holds no comment, else one element
    /// per line, each followed by a comma, `step` deeper than the line that opens it, and the
    /// closing bracket back at that line's indentation.
    fn list(
        &mut self,
        span: Span,
        (open, close): (&str, &str),
        elems: &[Elem<'_>],
        trail: usize,
        step: usize,
    ) {
        if !self.comments.any_in(span.start(), span.end()) {
            let flat = flat_sequence(open, close, elems);
            if self.out.column() + width(&flat) + trail <= MAX_WIDTH {
                self.out.push(&flat);
                self.out.mark(span.end());
                return;
            }
        }
        let outer = self.out.indent();
        let inside = outer + step;
        self.out.push(open);
        self.out.mark(span.start() + 1);
        for elem in elems {
            self.slot(elem.start(), inside, Blank::Never, false, true);
            self.out.open(inside, inside);
            match elem {
                Elem::Operand(o) => self.operand(o, 1),
                Elem::Value(v) => self.value(v, 1),
                Elem::Field(f) => {
                    self.out.push(&format!("{}: ", field_key(f)));
                    self.out.mark(f.key.span.end());
                    self.value(&f.value, 1);
                }
            }
            self.out.push(",");
        }
        self.slot(
            span.end().saturating_sub(1),
            inside,
            Blank::Never,
            false,
            false,
        );
        self.out.open(outer, inside);
        self.out.push(close);
        self.out.mark(span.end());
    }
}

/// An element of a bracketed sequence.
enum Elem<'e> {
    Operand(&'e Operand),
    Value(&'e Value),
    Field(&'e Field),
}

impl Elem<'_> {
    fn start(&self) -> usize {
        match self {
            Elem::Operand(o) => o.span.start(),
            Elem::Value(v) => v.span.start(),
            Elem::Field(f) => f.key.span.start(),
        }
    }

    fn flat(&self) -> String {
        match self {
            Elem::Operand(o) => flat_operand(o),
            Elem::Value(v) => flat_value(v),
            Elem::Field(f) => format!("{}: {}", field_key(f), flat_value(&f.value)),
        }
    }
}

// ---------------------------------------------------------------- one-line forms

fn flat_expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Or(parts) => join(parts, " or "),
        ExprKind::And(parts) => join(parts, " and "),
        ExprKind::Not(inner) => format!("not {}", flat_expr(inner)),
        ExprKind::Paren(inner) => format!("({})", flat_expr(inner)),
        ExprKind::Compare(c) => format!(
            "{} {} {}",
            flat_operand(&c.lhs),
            c.op.as_str(),
            flat_operand(&c.rhs)
        ),
        ExprKind::SignedBy(k) => format!("signed by {}", k.name),
        ExprKind::SignedByN { n, keys, .. } => format!(
            "signed by {n} of [{}]",
            keys.iter()
                .map(|k: &Ident| k.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Operand(o) => flat_operand(o),
    }
}

fn join(parts: &[Expr], sep: &str) -> String {
    parts.iter().map(flat_expr).collect::<Vec<_>>().join(sep)
}

fn flat_operand(o: &Operand) -> String {
    match &o.kind {
        OperandKind::Str(s) => escape(s),
        OperandKind::Int(n) => n.to_string(),
        // The text as written: `7d` stays `7d`, never `1w`.
        OperandKind::Duration(d) => d.text.clone(),
        OperandKind::Bool(b) => b.to_string(),
        OperandKind::List(items) => {
            let elems: Vec<Elem> = items.iter().map(Elem::Operand).collect();
            flat_sequence("[", "]", &elems)
        }
        OperandKind::Name(n) => n.clone(),
        OperandKind::Index(index) => {
            format!("{}[{}]", index.base.name, escape(&index.key.value))
        }
        OperandKind::Call(call) => {
            let Call { func, args, fields } = &**call;
            let mut s = format!(
                "{}({})",
                func.name,
                args.iter().map(flat_operand).collect::<Vec<_>>().join(", ")
            );
            for f in fields {
                s.push('.');
                s.push_str(&f.name);
            }
            s
        }
    }
}

fn flat_value(v: &Value) -> String {
    match &v.kind {
        ValueKind::Str(s) => escape(s),
        ValueKind::Int(n) => n.to_string(),
        ValueKind::Bool(b) => b.to_string(),
        ValueKind::List(items) => {
            let elems: Vec<Elem> = items.iter().map(Elem::Value).collect();
            flat_sequence("[", "]", &elems)
        }
        ValueKind::Object(fields) => {
            let elems: Vec<Elem> = fields.iter().map(Elem::Field).collect();
            flat_sequence("{", "}", &elems)
        }
    }
}

/// `[a, b]`, `[]`, `{ a: 1 }`, `{}`.
fn flat_sequence(open: &str, close: &str, elems: &[Elem<'_>]) -> String {
    if elems.is_empty() {
        return format!("{open}{close}");
    }
    let body = elems.iter().map(Elem::flat).collect::<Vec<_>>().join(", ");
    if open == "{" {
        format!("{{ {body} }}")
    } else {
        format!("[{body}]")
    }
}

/// An object key: quoted when it was written quoted, and whenever it would not lex as a word.
fn field_key(f: &Field) -> String {
    let k = &f.key.value;
    let word = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if f.quoted || !word {
        escape(k)
    } else {
        k.clone()
    }
}

fn is_block(item: &Item) -> bool {
    matches!(item, Item::Policy(_) | Item::Test(_) | Item::Keyless(_))
}

fn width(s: &str) -> usize {
    s.chars().count()
}
