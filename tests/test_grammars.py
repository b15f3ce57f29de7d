"""Definition queries in grammars/*.scm: every language compiles and captures the
expected (kind, name) pairs, each definition node exactly once."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pytest
import tree_sitter as ts

from codesift.parse.languages import GRAMMAR_MODULES, grammars_dir, load_grammar, query_source

KINDS = {
    "function", "method", "class", "interface", "trait", "struct",
    "type", "enum", "constant", "module", "impl",
}  # fmt: skip
OPTIONAL_CAPTURES = {"scope", "doc"}


@dataclass(frozen=True)
class Definition:
    kind: str
    name: str
    scope: str | None
    doc: str | None
    node: ts.Node


def definitions(language: str, source: str) -> list[Definition]:
    """Run the language's query over ``source``, checking the capture contract."""
    grammar = load_grammar(language)
    assert grammar is not None, f"{language} grammar failed to load"
    return query_definitions(grammar.language, grammar.query, source)


def query_definitions(language: ts.Language, query: ts.Query, source: str) -> list[Definition]:
    """Run ``query`` over ``source`` parsed with ``language``, checking the capture contract."""
    tree = ts.Parser(language).parse(source.encode())
    found: list[Definition] = []
    for _pattern, captures in ts.QueryCursor(query).matches(tree.root_node):
        defs = [c for c in captures if c.startswith("definition.")]
        assert len(defs) == 1, captures
        kind = defs[0].removeprefix("definition.")
        assert kind in KINDS, kind
        assert set(captures) <= {defs[0], "name", *OPTIONAL_CAPTURES}, captures
        assert len(captures[defs[0]]) == 1
        assert len(captures.get("name", [])) == 1, f"{kind}: {captures}"
        node = captures[defs[0]][0]
        name = captures["name"][0]
        assert node.start_byte <= name.start_byte and name.end_byte <= node.end_byte
        extra = {}
        for key in OPTIONAL_CAPTURES:
            nodes = captures.get(key, [])
            assert len(nodes) <= 1, captures
            extra[key] = nodes[0].text.decode() if nodes else None
        found.append(Definition(kind, name.text.decode(), node=node, **extra))
    return found


def pairs(defs: list[Definition]) -> set[tuple[str, str]]:
    return {(d.kind, d.name) for d in defs}


def assert_each_node_once(defs: list[Definition]) -> None:
    seen: dict[tuple[int, int, str], Definition] = {}
    for d in defs:
        key = (d.node.start_byte, d.node.end_byte, d.node.type)
        assert key not in seen, f"{d.kind} {d.name} matched twice (also {seen[key].kind})"
        seen[key] = d


def by_name(defs: list[Definition], name: str) -> Definition:
    matching = [d for d in defs if d.name == name]
    assert len(matching) == 1, matching
    return matching[0]


@pytest.mark.parametrize("language", sorted(GRAMMAR_MODULES))
def test_every_grammar_compiles(language: str) -> None:
    grammar = load_grammar(language)
    assert grammar is not None
    assert grammar.query.pattern_count > 0


# ---------------------------------------------------------------------------
# Samples: source, expected (kind, name) pairs.

PYTHON = '''\
"""Module docstring."""
import os

MAX_RETRIES = 3
TIMEOUT: float = 2.5
lowercase = 1
type Vector = list[float]


class Session(Base):
    """A chat session."""

    LIMIT = 10

    def __init__(self, sock):
        self.sock = sock

    @property
    def closed(self):
        # a comment does not hide the docstring
        """Whether the socket is gone."""
        return self.sock is None

    async def send(self, data):
        x = 1
        "not a docstring"


@decorator(arg=1)
def connect(host, port):
    def retry():
        pass
    return Session(os.connect(host, port))
'''

PYTHON_EXPECTED = {
    ("constant", "MAX_RETRIES"),
    ("constant", "TIMEOUT"),
    ("type", "Vector"),
    ("class", "Session"),
    ("function", "__init__"),
    ("function", "closed"),
    ("function", "send"),
    ("function", "connect"),
    ("function", "retry"),
}

JAVASCRIPT = """\
import fs from "fs";
const path = require("path");
const MAX = 10, MIN = 1;
export const API_URL = `https://example.com`;
let counter = 0;
const { a, b } = obj;

export default class Session extends Base {
  #sock = null;
  onData = (chunk) => this.buffer.push(chunk);
  constructor(sock) { super(); this.#sock = sock; }
  async send(data) { return this.#sock.write(data); }
  static create() { return new Session(); }
  get closed() { return this.#sock === null; }
}

export function connect(host, port) {
  const retry = () => connect(host, port);
  return new Session(retry);
}

function* ids() { yield 1; }
const handler = async (req) => req.body;
var legacy = function () {};
Session.prototype.close = function () {};
"""

JAVASCRIPT_EXPECTED = {
    ("constant", "MAX"),
    ("constant", "API_URL"),
    ("class", "Session"),
    ("function", "onData"),
    ("method", "constructor"),
    ("method", "send"),
    ("method", "create"),
    ("method", "closed"),
    ("function", "connect"),
    ("function", "retry"),
    ("function", "ids"),
    ("function", "handler"),
    ("function", "legacy"),
    ("function", "close"),
}

TYPESCRIPT = """\
export const DEFAULT_PORT: number = 8080;
export const MODES = ["a", "b"] as const;

export interface Transport {
  send(data: Uint8Array): Promise<void>;
  readonly name: string;
}

export type Handler = (msg: Message) => void;

export enum State { Open, Closed }

export abstract class BaseSession implements Transport {
  abstract send(data: Uint8Array): Promise<void>;
  get name(): string { return "base"; }
}

export class Session<T> extends BaseSession {
  private handlers: Handler[] = [];
  onClose = (): void => {};
  async send(data: Uint8Array): Promise<void> {}
}

export function connect(host: string): Session<string> {
  return new Session();
}

declare function legacyConnect(host: string): void;

export const makeSession = <T,>(x: T): Session<T> => new Session<T>();

namespace Internal {
  export function helper(): void {}
}
"""

TYPESCRIPT_EXPECTED = {
    ("constant", "DEFAULT_PORT"),
    ("constant", "MODES"),
    ("interface", "Transport"),
    ("method", "send"),  # interface signature, abstract signature, class method
    ("type", "Handler"),
    ("enum", "State"),
    ("class", "BaseSession"),
    ("method", "name"),
    ("class", "Session"),
    ("function", "onClose"),
    ("function", "connect"),
    ("function", "legacyConnect"),
    ("function", "makeSession"),
    ("module", "Internal"),
    ("function", "helper"),
}

GO = """\
package chat

import "net"

const MaxRetries = 3

const (
	_ = iota
	StateOpen
	StateClosed
)

type Session struct {
	conn net.Conn
}

type Transport interface {
	Send(data []byte) error
}

type Handler func(msg []byte)

type (
	ID    string
	Alias = Session
)

func (s *Session) Send(data []byte) error {
	_, err := s.conn.Write(data)
	return err
}

func (s Session) Closed() bool { return s.conn == nil }

func (b *Box[T]) Get() T { var zero T; return zero }

func Connect(addr string) (*Session, error) {
	const local = 1
	conn, err := net.Dial("tcp", addr)
	return &Session{conn: conn}, err
}
"""

GO_EXPECTED = {
    ("constant", "MaxRetries"),
    ("constant", "StateOpen"),
    ("constant", "StateClosed"),
    ("struct", "Session"),
    ("interface", "Transport"),
    ("type", "Handler"),
    ("type", "ID"),
    ("type", "Alias"),
    ("method", "Send"),
    ("method", "Closed"),
    ("method", "Get"),
    ("function", "Connect"),
}

RUST = """\
use std::fmt;

pub const MAX_RETRIES: u32 = 3;
static GREETING: &str = "hi";

pub struct Session {
    sock: Option<Socket>,
}

pub enum State { Open, Closed }

pub trait Transport {
    fn send(&mut self, data: &[u8]) -> Result<()>;
    fn name(&self) -> &str { "transport" }
}

impl Session {
    pub fn new() -> Self { Session { sock: None } }
}

impl Transport for Session {
    fn send(&mut self, data: &[u8]) -> Result<()> { Ok(()) }
}

impl<T: fmt::Debug> fmt::Display for Wrapper<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { Ok(()) }
}

pub type Handler = fn(&[u8]);

mod util {
    pub fn connect(addr: &str) -> Session { Session::new() }
}

mod external;

macro_rules! retry {
    ($e:expr) => { $e };
}
"""

RUST_EXPECTED = {
    ("constant", "MAX_RETRIES"),
    ("constant", "GREETING"),
    ("struct", "Session"),
    ("enum", "State"),
    ("trait", "Transport"),
    ("function", "send"),
    ("function", "name"),
    ("impl", "Session"),
    ("function", "new"),
    ("impl", "Wrapper"),
    ("function", "fmt"),
    ("type", "Handler"),
    ("module", "util"),
    ("function", "connect"),
    ("function", "retry"),
}

JAVA = """\
package chat;

public class Session implements Transport {
    public static final int MAX_RETRIES = 3, MIN_RETRIES = 1;
    private static int counter;
    private final String name = "s";

    public Session(Socket sock) { this.sock = sock; }

    @Override
    public void send(byte[] data) throws IOException {}

    static class Builder {
        Session build() { return new Session(null); }
    }
}

interface Transport {
    int VERSION = 2;
    void send(byte[] data) throws IOException;
}

enum State {
    OPEN, CLOSED;
    boolean isOpen() { return this == OPEN; }
}

record Message(String body) {
    Message {
        Objects.requireNonNull(body);
    }
}

@interface Retry { int times(); }
"""

JAVA_EXPECTED = {
    ("class", "Session"),
    ("constant", "MAX_RETRIES"),
    ("method", "Session"),
    ("method", "send"),
    ("class", "Builder"),
    ("method", "build"),
    ("interface", "Transport"),
    ("constant", "VERSION"),
    ("enum", "State"),
    ("method", "isOpen"),
    ("class", "Message"),
    ("method", "Message"),
    ("interface", "Retry"),
}

C = """\
#include <stdio.h>
#ifndef SESSION_H
#define SESSION_H
#define MAX_RETRIES 3
#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct session {
    int fd;
    struct buffer { char *data; } buf;
};

typedef struct {
    int code;
} error_t;

typedef struct node {
    struct node *next;
} node_t;

typedef enum { STATE_OPEN, STATE_CLOSED } state_t;
enum color { RED, GREEN };
union value { int i; double d; };
typedef int (*handler_fn)(struct session *, int);
typedef unsigned long size_type;

static int session_send(struct session *s, const char *data) {
    return 0;
}

char *session_name(struct session *s) { return NULL; }

int main(void) { return session_send(NULL, "x"); }
#endif
"""

C_EXPECTED = {
    ("constant", "MAX_RETRIES"),
    ("function", "MIN"),
    ("struct", "session"),
    ("struct", "buffer"),
    ("struct", "error_t"),
    ("struct", "node_t"),
    ("enum", "state_t"),
    ("enum", "color"),
    ("struct", "value"),
    ("type", "handler_fn"),
    ("type", "size_type"),
    ("function", "session_send"),
    ("function", "session_name"),
    ("function", "main"),
}

CPP = """\
#include <string>
#define CHAT_VERSION 2

namespace chat {

class Session : public Transport {
 public:
  Session();
  ~Session();
  void send(const std::string& data) override { write(data); }
  int fd() const;

 private:
  struct Buffer { char* data; };
  enum class State { Open, Closed };
};

Session::Session() {}
Session::~Session() {}
int Session::fd() const { return fd_; }

template <typename T>
T max_of(T a, T b) { return a > b ? a : b; }

template <typename T>
class Box {
  T value;
};

template <typename T>
T& Box<T>::get() { return value; }

using Handler = void (*)(int);
typedef unsigned int port_t;

}  // namespace chat

const char* chat::version() { return "2"; }
bool operator==(const Session& a, const Session& b) { return true; }
"""

CPP_EXPECTED = {
    ("constant", "CHAT_VERSION"),
    ("module", "chat"),
    ("class", "Session"),
    ("function", "send"),
    ("struct", "Buffer"),
    ("enum", "State"),
    ("function", "Session"),
    ("function", "~Session"),
    ("function", "fd"),
    ("function", "max_of"),
    ("class", "Box"),
    ("function", "get"),
    ("type", "Handler"),
    ("type", "port_t"),
    ("function", "version"),
    ("function", "operator=="),
}

CSHARP = """\
using System;

namespace Chat.Core
{
    public interface ITransport
    {
        void Send(byte[] data);
    }

    public enum State { Open, Closed }

    public struct Point { public int X; }

    public record Message(string Body);

    public delegate void Handler(Message msg);

    public class Session : ITransport
    {
        public const int MaxRetries = 3;
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
        private int counter;

        public Session() { }
        ~Session() { }

        public string Name { get; set; }

        public void Send(byte[] data) { }
    }
}
"""

CSHARP_EXPECTED = {
    ("module", "Chat.Core"),
    ("interface", "ITransport"),
    ("method", "Send"),
    ("enum", "State"),
    ("struct", "Point"),
    ("class", "Message"),
    ("type", "Handler"),
    ("class", "Session"),
    ("constant", "MaxRetries"),
    ("constant", "Timeout"),
    ("method", "Session"),
}

RUBY = """\
require "socket"

MAX_RETRIES = 3

module Chat
  VERSION = "1.0"

  class Session < Base
    def initialize(sock)
      @sock = sock
    end

    def send_data(data) = @sock.write(data)

    def self.connect(host)
      new(TCPSocket.new(host, 80))
    end

    class << self
      def registry; @registry ||= {}; end
    end
  end
end

class Chat::Admin::Console
end

def helper; end
"""

RUBY_EXPECTED = {
    ("constant", "MAX_RETRIES"),
    ("module", "Chat"),
    ("constant", "VERSION"),
    ("class", "Session"),
    ("function", "initialize"),
    ("function", "send_data"),
    ("function", "connect"),
    ("function", "registry"),
    ("class", "Console"),
    ("function", "helper"),
}

PHP = """\
<?php
namespace Chat;

const MAX_RETRIES = 3;

interface Transport {
    public function send(string $data): void;
}

trait Logs {
    protected function log(string $msg): void {}
}

enum State: string {
    case Open = 'open';
    case Closed = 'closed';
}

final class Session implements Transport {
    use Logs;
    public const TIMEOUT = 5, RETRIES = 2;

    public function __construct(private $sock) {}

    public function send(string $data): void {}

    public static function connect(string $host): self { return new self(null); }
}

function helper($x) { return $x; }
"""

PHP_EXPECTED = {
    ("constant", "MAX_RETRIES"),
    ("interface", "Transport"),
    ("method", "send"),
    ("trait", "Logs"),
    ("method", "log"),
    ("enum", "State"),
    ("class", "Session"),
    ("constant", "TIMEOUT"),
    ("method", "__construct"),
    ("method", "connect"),
    ("function", "helper"),
}

BASH = """\
#!/usr/bin/env bash
set -euo pipefail
readonly MAX_RETRIES=3

log() {
  echo "$@" >&2
}

function connect {
  local host=$1
  nc "$host" 80
}

function cleanup() (
  rm -rf "$TMP"
)

main() { connect localhost; }
main "$@"
"""

BASH_EXPECTED = {
    ("function", "log"),
    ("function", "connect"),
    ("function", "cleanup"),
    ("function", "main"),
}

SAMPLES = {
    "python": (PYTHON, PYTHON_EXPECTED),
    "javascript": (JAVASCRIPT, JAVASCRIPT_EXPECTED),
    "typescript": (TYPESCRIPT, TYPESCRIPT_EXPECTED),
    "tsx": (TYPESCRIPT, TYPESCRIPT_EXPECTED),
    "go": (GO, GO_EXPECTED),
    "rust": (RUST, RUST_EXPECTED),
    "java": (JAVA, JAVA_EXPECTED),
    "c": (C, C_EXPECTED),
    "cpp": (CPP, CPP_EXPECTED),
    "csharp": (CSHARP, CSHARP_EXPECTED),
    "ruby": (RUBY, RUBY_EXPECTED),
    "php": (PHP, PHP_EXPECTED),
    "bash": (BASH, BASH_EXPECTED),
}


def test_every_language_has_a_sample() -> None:
    assert set(SAMPLES) == set(GRAMMAR_MODULES)


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_definitions(language: str) -> None:
    source, expected = SAMPLES[language]
    defs = definitions(language, source)
    assert pairs(defs) == expected
    assert_each_node_once(defs)


# ---------------------------------------------------------------------------
# Language-specific details.


def test_python_docstrings() -> None:
    defs = definitions("python", PYTHON)
    assert by_name(defs, "Session").doc == '"""A chat session."""'
    assert by_name(defs, "closed").doc == '"""Whether the socket is gone."""'
    assert by_name(defs, "send").doc is None
    assert by_name(defs, "connect").doc is None
    # the decorated function is captured as the function_definition itself
    assert by_name(defs, "connect").node.type == "function_definition"


def test_python_constants_are_module_level_upper_case() -> None:
    names = {d.name for d in definitions("python", PYTHON) if d.kind == "constant"}
    assert names == {"MAX_RETRIES", "TIMEOUT"}  # not `LIMIT` (class body), not `lowercase`


def test_javascript_arrow_function_spans_declaration() -> None:
    defs = definitions("javascript", JAVASCRIPT)
    handler = by_name(defs, "handler")
    assert handler.node.type == "lexical_declaration"
    assert handler.node.text.decode() == "const handler = async (req) => req.body;"
    # exported declarations are captured through the inner node
    assert by_name(defs, "connect").node.type == "function_declaration"
    assert by_name(defs, "API_URL").node.type == "lexical_declaration"


def test_go_method_receivers_are_scopes() -> None:
    defs = definitions("go", GO)
    assert {(d.name, d.scope) for d in defs if d.kind == "method"} == {
        ("Send", "Session"),
        ("Closed", "Session"),
        ("Get", "Box"),
    }
    assert by_name(defs, "Connect").scope is None


def test_go_single_declarations_include_keyword() -> None:
    defs = definitions("go", GO)
    assert by_name(defs, "Session").node.text.decode().startswith("type Session struct")
    assert by_name(defs, "MaxRetries").node.text.decode() == "const MaxRetries = 3"
    # inside a group each spec is its own definition
    assert by_name(defs, "ID").node.type == "type_spec"
    assert by_name(defs, "StateOpen").node.type == "const_spec"


def test_rust_impl_named_after_type() -> None:
    defs = definitions("rust", RUST)
    impls = [d for d in defs if d.kind == "impl"]
    assert sorted(d.node.text.decode().split("{")[0].strip() for d in impls) == [
        "impl Session",
        "impl Transport for Session",
        "impl<T: fmt::Debug> fmt::Display for Wrapper<T>",
    ]


def test_cpp_qualified_names_have_scope() -> None:
    defs = definitions("cpp", CPP)
    scoped = {(d.name, d.scope) for d in defs if d.kind == "function"}
    assert ("Session", "Session") in scoped  # out-of-line constructor
    assert ("~Session", "Session") in scoped
    assert ("fd", "Session") in scoped
    assert ("get", "Box") in scoped  # Box<T>::get
    assert ("version", "chat") in scoped  # pointer-returning, qualified
    assert ("send", None) in scoped  # defined in the class body
    assert ("max_of", None) in scoped


def test_c_typedef_struct_is_one_definition() -> None:
    defs = definitions("c", C)
    node_t = by_name(defs, "node_t")
    assert node_t.node.type == "type_definition"
    assert not any(d.name == "node" for d in defs)  # the inner `struct node` is not repeated
    assert by_name(defs, "session_name").node.type == "function_definition"


def test_ruby_scoped_class() -> None:
    console = by_name(definitions("ruby", RUBY), "Console")
    assert console.scope == "Admin"


def test_tsx_matches_typescript_patterns() -> None:
    source = TYPESCRIPT + "\nexport const App = () => <div className='x'>{MODES}</div>;\n"
    defs = definitions("tsx", source)
    assert pairs(defs) == TYPESCRIPT_EXPECTED | {("function", "App")}
    assert_each_node_once(defs)


# ---------------------------------------------------------------------------
# `; inherits:` -- languages sharing patterns take them from one file instead of
# copying them. c_common.scm and js_common.scm are bases, not languages.

INHERITS = {
    "c": "c_common",
    "cpp": "c_common",
    "javascript": "js_common",
    "typescript": "js_common",
    "tsx": "typescript",
}
BASES = {"c_common", "js_common"}


def own_text(name: str) -> str:
    """A query file as written, without what it inherits."""
    return (grammars_dir() / f"{name}.scm").read_text(encoding="utf-8")


def parent_of(name: str) -> str | None:
    first = own_text(name).split("\n", 1)[0]
    if first.startswith("; inherits:"):
        return first.split(":", 1)[1].strip()
    return None


def ancestors(name: str) -> list[str]:
    chain = []
    parent = parent_of(name)
    while parent is not None:
        chain.append(parent)
        parent = parent_of(parent)
    return chain


def test_inherits_directives() -> None:
    files = {path.stem for path in grammars_dir().glob("*.scm")}
    assert files == set(GRAMMAR_MODULES) | BASES
    assert {name: parent_of(name) for name in sorted(files) if parent_of(name)} == INHERITS
    for base in BASES:
        assert load_grammar(base) is None  # a base is not a language
    # the loader prepends the whole chain, bases first
    assert query_source("tsx") == "\n".join(own_text(n) for n in ("js_common", "typescript", "tsx"))
    assert query_source("cpp") == own_text("c_common") + "\n" + own_text("cpp")


def pattern_texts(text: str) -> list[str]:
    """Top-level patterns of a query, comments dropped and whitespace collapsed."""
    patterns: list[str] = []
    current: list[str] = []
    depth = 0
    in_string = escaped = in_comment = False
    for ch in text:
        if in_comment:
            in_comment = ch != "\n"
            continue
        if in_string:
            current.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == ";":
            in_comment = True
            continue
        if depth == 0 and ch in "([" and "".join(current).strip():
            patterns.append(" ".join("".join(current).split()))  # trailing captures included
            current = []
        current.append(ch)
        if ch == '"':
            in_string = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
    assert depth == 0 and not in_string, "unbalanced query"
    if "".join(current).strip():
        patterns.append(" ".join("".join(current).split()))
    return patterns


@pytest.mark.parametrize("language", sorted(GRAMMAR_MODULES))
def test_pattern_texts_counts_like_tree_sitter(language: str) -> None:
    grammar = load_grammar(language)
    assert grammar is not None
    assert len(pattern_texts(query_source(language))) == grammar.query.pattern_count


def code_lines(text: str) -> list[str]:
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith(";")]


@pytest.mark.parametrize("name", sorted(INHERITS))
def test_inheriting_files_do_not_repeat_their_ancestors(name: str) -> None:
    own = own_text(name)
    for ancestor in ancestors(name):
        inherited = own_text(ancestor)
        assert not set(pattern_texts(own)) & set(pattern_texts(inherited)), ancestor
        # no copied block either: short runs such as `])` / `declarator: [` are syntax
        a, b = code_lines(inherited), code_lines(own)
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        longest = matcher.find_longest_match(0, len(a), 0, len(b))
        assert longest.size < 7, (ancestor, a[longest.a : longest.a + longest.size])


def test_pattern_texts_splits_top_level_patterns() -> None:
    text = '; c\n(a\n  (b) @x) @y\n\n((c) @z (#match? @z "^\\\\(;"))\n[(d) (e)] @w\n'
    assert pattern_texts(text) == [
        "(a (b) @x) @y",
        '((c) @z (#match? @z "^\\\\(;"))',
        "[(d) (e)] @w",
    ]


CPP_INHERITED = """\
#define LIMIT 4
#define SQUARE(x) ((x) * (x))
struct point { int x; };
typedef struct { int code; } error_t;
typedef enum { MODE_A, MODE_B } mode_t;
int plain(void) { return 0; }
char **names(void) { return 0; }
class Widget { int w; };
template <> struct Traits<int> {};
template <typename T> struct Holder { T v; };
namespace ui { void Widget::draw() {} }
int& counter() { static int c; return c; }
typedef class { int z; } anon_t;
typedef int& ref_t;
using Id = int;
"""

C_INHERITED = """\
#define LIMIT 4
#define SQUARE(x) ((x) * (x))
struct point { int x; };
typedef struct { int code; } error_t;
typedef enum { MODE_A, MODE_B } mode_t;
int plain(void) { return 0; }
char **names(void) { return 0; }
typedef unsigned long size_type;
typedef VEC(int) int_vec;
"""

JS_INHERITED = """\
function connect() {}
function* ids() {}
const handler = () => 1;
var legacy = function () {};
const Klass = class {};
Session.prototype.close = function () {};
class Session {
  onData = () => {};
  send() {}
}
const MAX = 3;
"""

TS_INHERITED = """\
function connect(): void {}
function* ids() {}
const handler = (): number => 1;
const Klass = class {};
Session.prototype.close = function () {};
class Session {
  onData = (): void => {};
  send(): void {}
}
interface Transport { close(): void; }
enum State { Open }
declare function legacy(): void;
const PORT = 80 as const;
"""

C_COMMON_EXPECTED = {
    ("constant", "LIMIT"),
    ("function", "SQUARE"),
    ("struct", "point"),
    ("struct", "error_t"),
    ("enum", "mode_t"),
    ("function", "plain"),
    ("function", "names"),
}

JS_COMMON_EXPECTED = {
    ("function", "connect"),
    ("function", "ids"),
    ("function", "handler"),
    ("class", "Klass"),
    ("function", "close"),
    ("method", "send"),
}

# language -> (source, expected from the inherited base, expected from the file itself)
INHERITANCE_CASES = {
    "c": (C_INHERITED, C_COMMON_EXPECTED, {("type", "size_type"), ("type", "int_vec")}),
    "cpp": (
        CPP_INHERITED,
        C_COMMON_EXPECTED,
        {
            ("class", "Widget"),
            ("struct", "Traits"),
            ("struct", "Holder"),
            ("module", "ui"),
            ("function", "draw"),
            ("function", "counter"),  # reference-returning: C has no such declarator
            ("struct", "anon_t"),
            ("type", "ref_t"),
            ("type", "Id"),
        },
    ),
    "javascript": (
        JS_INHERITED + "var legacy2 = function () {};\n",
        JS_COMMON_EXPECTED | {("function", "legacy"), ("function", "legacy2")},
        {("class", "Session"), ("function", "onData"), ("constant", "MAX")},
    ),
    "typescript": (
        TS_INHERITED,
        JS_COMMON_EXPECTED,
        {
            ("class", "Session"),
            ("function", "onData"),
            ("interface", "Transport"),
            ("method", "close"),
            ("enum", "State"),
            ("function", "legacy"),
            ("constant", "PORT"),
        },
    ),
}


@pytest.mark.parametrize("language", sorted(INHERITANCE_CASES))
def test_inherited_and_own_patterns(language: str) -> None:
    """The base supplies the shared definitions, the file only its own, and the
    loaded query (base + own) captures both, each node once."""
    source, from_base, from_own = INHERITANCE_CASES[language]
    assert not from_base & from_own
    grammar = load_grammar(language)
    assert grammar is not None
    base = INHERITS[language]
    base_query = ts.Query(grammar.language, query_source(base))
    own_query = ts.Query(grammar.language, own_text(language))
    assert pairs(query_definitions(grammar.language, base_query, source)) == from_base
    assert pairs(query_definitions(grammar.language, own_query, source)) == from_own
    defs = definitions(language, source)
    assert pairs(defs) == from_base | from_own
    assert_each_node_once(defs)


def test_inherited_cpp_scope() -> None:
    defs = definitions("cpp", CPP_INHERITED)
    assert (by_name(defs, "draw").scope, by_name(defs, "plain").scope) == ("Widget", None)
