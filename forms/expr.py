"""A small, safe expression language for the review rules of a definition file (no ``eval``).

Grammar (precedence from low to high)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | "true" | "false" | NAME ("." NAME)* | FUNC "(" [expr ("," expr)*] ")" | "(" expr ")"

A name is a dotted path looked up by the caller (``participants`` — a field of the record;
``T3.total.participants`` — a cell; ``threshold.min_honour_age`` — a threshold of the definition).
Numbers are exact (``Decimal``); an empty value counts as 0 in arithmetic. Functions: ``sum``, ``max``,
``min``, ``abs``, ``empty`` (the value is missing or blank), ``len`` (length of a text).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

Value = Decimal | str | bool | None
Resolver = Callable[[str], Any]


class ExprError(ValueError):
    """An expression that cannot be read or evaluated; ``str()`` is a Chinese reason."""


# A name starts with a letter, an underscore or a common Chinese character (U+4E00–U+9FFF, all of them word
# characters) and goes on with word characters and ``|``. The pattern takes any word character but a digit first and
# ``_tokens`` refuses the others: a character class of the Chinese range costs 2 ms to compile in every process.
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>\"[^\"]*\"|'[^']*')|(?P<name>[^\W\d][\w|]*(?:\.[\w|]+)*)"
                    r"|(?P<op><=|>=|==|!=|[-+*/<>(),]))")
# A ``{name}`` in a rule's message, filled in with the name's value (the same names, and ``.``).
PLACEHOLDER = re.compile(r"\{([\w.|]+)\}")
_KEYWORDS = {"and", "or", "not", "true", "false"}
FUNCTIONS = ("sum", "max", "min", "abs", "empty", "len")
MAX_LENGTH = 2000


@dataclasses.dataclass(frozen=True)
class Node:
    op: str  # num, str, bool, name, call, neg, not, and, or, + - * / < <= > >= == !=
    value: Any = None
    args: tuple[Node, ...] = ()


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos or (m.lastgroup == "name" and not _starts_name(m.group("name")[0])):
            raise ExprError(f"第{pos + 1}个字符处无法识别：“{text[pos:pos + 10]}”")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _starts_name(char: str) -> bool:
    return char == "_" or "a" <= char <= "z" or "A" <= char <= "Z" or "\u4e00" <= char <= "\u9fff"


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise ExprError(f"此处应为“{value}”，却是“{tok[1] or '（结尾）'}”")
        if tok[0] == "end":
            raise ExprError("表达式不完整")
        self.pos += 1
        return tok

    def parse(self) -> Node:
        node = self.or_()
        if self.peek()[0] != "end":
            raise ExprError(f"多余的“{self.peek()[1]}”")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek() == ("name", "or"):
            self.take()
            node = Node("or", args=(node, self.and_()))
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.peek() == ("name", "and"):
            self.take()
            node = Node("and", args=(node, self.not_()))
        return node

    def not_(self) -> Node:
        if self.peek() == ("name", "not"):
            self.take()
            return Node("not", args=(self.not_(),))
        return self.compare()

    def compare(self) -> Node:
        node = self.sum_()
        if self.peek()[1] in ("<", "<=", ">", ">=", "==", "!=") and self.peek()[0] == "op":
            op = self.take()[1]
            node = Node(op, args=(node, self.sum_()))
        return node

    def sum_(self) -> Node:
        node = self.product()
        while self.peek()[0] == "op" and self.peek()[1] in "+-":
            op = self.take()[1]
            node = Node(op, args=(node, self.product()))
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in "*/":
            op = self.take()[1]
            node = Node(op, args=(node, self.unary()))
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.take()
            return Node("neg", args=(self.unary(),))
        return self.atom()

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return Node("num", Decimal(text))
        if kind == "str":
            return Node("str", text[1:-1])
        if kind == "op" and text == "(":
            node = self.or_()
            self.take(")")
            return node
        if kind == "name":
            if text in ("true", "false"):
                return Node("bool", text == "true")
            if text in _KEYWORDS:
                raise ExprError(f"“{text}”不能用在此处")
            if self.peek() == ("op", "("):
                if text not in FUNCTIONS:
                    raise ExprError(f"未知的函数“{text}”（可用：{'、'.join(FUNCTIONS)}）")
                self.take("(")
                args: list[Node] = []
                if self.peek() != ("op", ")"):
                    args.append(self.or_())
                    while self.peek() == ("op", ","):
                        self.take()
                        args.append(self.or_())
                self.take(")")
                return Node("call", text, tuple(args))
            return Node("name", text)
        raise ExprError(f"此处不能是“{text}”")


def parse(text: str) -> Node:
    """The syntax tree of ``text``; :class:`ExprError` with a Chinese reason when it is not an expression."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("条件为空")
    if len(text) > MAX_LENGTH:
        raise ExprError("条件太长")
    return _Parser(text).parse()


def names(node: Node) -> list[str]:
    """Every name the expression refers to, in order."""
    if node.op == "name":
        return [str(node.value)]
    return [n for arg in node.args for n in names(arg)]


def _number(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ExprError(f"“{value}”不是数") from None


def _truth(value: Any) -> bool:
    if isinstance(value, Decimal):
        return value != 0
    return bool(value)


def evaluate(node: Node, resolve: Resolver) -> Any:
    """The value of ``node``; names are looked up with ``resolve`` (which raises KeyError for unknown ones)."""
    op = node.op
    if op in ("num", "str", "bool"):
        return node.value
    if op == "name":
        try:
            value = resolve(str(node.value))
        except KeyError:
            raise ExprError(f"未知的名称“{node.value}”") from None
        return _number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    if op == "not":
        return not _truth(evaluate(node.args[0], resolve))
    if op == "and":
        return _truth(evaluate(node.args[0], resolve)) and _truth(evaluate(node.args[1], resolve))
    if op == "or":
        return _truth(evaluate(node.args[0], resolve)) or _truth(evaluate(node.args[1], resolve))
    if op == "neg":
        return -_number(evaluate(node.args[0], resolve))
    if op == "call":
        values = [evaluate(a, resolve) for a in node.args]
        name = node.value
        if name == "empty":
            return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)
        if name == "len":
            return Decimal(sum(len(str(v or "")) for v in values))
        numbers = [_number(v) for v in values]
        if name == "sum":
            return sum(numbers, Decimal(0))
        if not numbers:
            raise ExprError(f"函数“{name}”缺少参数")
        if name == "max":
            return max(numbers)
        if name == "min":
            return min(numbers)
        return abs(numbers[0])  # abs
    left, right = (evaluate(a, resolve) for a in node.args)
    if op in ("==", "!="):
        if isinstance(left, str) or isinstance(right, str):
            same = str(left or "") == str(right or "")
        else:
            same = _number(left) == _number(right)
        return same if op == "==" else not same
    a, b = _number(left), _number(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        try:
            return a / b if b else Decimal(0)  # a ratio over nothing is 0, not an error in a review
        except (DivisionByZero, InvalidOperation):
            return Decimal(0)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def truth(node: Node, resolve: Resolver) -> bool:
    return _truth(evaluate(node, resolve))


def fill(template: str, resolve: Resolver) -> str:
    """``参训人次为{participants}`` with each ``{name}`` replaced by its value (numbers without trailing zeros)."""
    def one(m: re.Match[str]) -> str:
        try:
            value = resolve(m.group(1))
        except KeyError:
            return m.group(0)
        if isinstance(value, Decimal):
            return f"{value:f}" if value == value.to_integral_value() or value.as_tuple().exponent == -2 \
                else f"{value.normalize():f}"
        return "" if value is None else str(value)

    return PLACEHOLDER.sub(one, template)
