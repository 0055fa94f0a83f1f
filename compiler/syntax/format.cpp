#include "compiler/syntax/format.h"

#include <antlr4-runtime.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "ParcoursLexer.h"
#include "ParcoursParser.h"
#include "compiler/syntax/parser.h"

namespace parcours::syntax {
namespace {

constexpr int kIndent = 2;
constexpr size_t kNone = std::numeric_limits<size_t>::max();
constexpr size_t kTopLevel = kNone - 1;

// ---- Tokens and the layout the author wrote ------------------------------

struct Comment {
  std::string text;  // trailing whitespace removed from each of its lines
  int newlines_before = 0;
  bool line_like = false;  // nothing may follow it on its line
};

// A token the parser sees, with the comments and line breaks before it and
// what the analysis below learns about it. The last token of a list has
// empty text and stands for the end of the file.
struct Token {
  std::string text;
  int source_line = 0;
  bool keyword = false;
  std::vector<Comment> comments;  // since the previous token
  int newlines_before = 0;        // since the last comment or token
  bool space_before = false;      // whitespace right before this token

  size_t match = kNone;  // the other bracket of a pair
  size_t owner = kNone;  // first token of an item: its `{` or kTopLevel
  size_t enclosing_brace = kNone;  // `{`: the nearest `{` around it
  bool items_known = false;        // `{`: the parse tree says where items begin
  bool step_block = false;         // `{`: a block of steps, not a split arm's
  bool keepable = true;  // `{`: no two items without a comma between them
  bool generic = false;  // `<` or `>` around a type argument
  bool binary = false;   // an operator between two operands
  bool unary = false;    // `-` or `+` before its operand
};

bool IsWordStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsWord(const std::string& text) {
  return !text.empty() && IsWordStart(text[0]);
}
bool IsNumber(const std::string& text) {
  return !text.empty() && IsDigit(text[0]);
}
bool IsString(const std::string& text) {
  return !text.empty() && text[0] == '"';
}
bool IsIdentifier(const Token& token) {
  return IsWord(token.text) && !token.keyword;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
         c == '\v';
}

bool IsBlank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), IsSpace);
}

// `\n`, `\r\n` and a lone `\r` each end a line.
int LineBreaks(const std::string& text) {
  int breaks = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ++breaks;
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
      ++breaks;
    }
  }
  return breaks;
}

std::string TrimLineEnds(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (true) {
    size_t newline = text.find('\n', start);
    size_t end = newline == std::string::npos ? text.size() : newline;
    size_t last = end;
    while (last > start && IsSpace(text[last - 1])) --last;
    out.append(text, start, last - start);
    if (newline == std::string::npos) return out;
    out += '\n';
    start = newline + 1;
  }
}

int CodePoints(const std::string& text) {
  return static_cast<int>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The generated lexer and parser over one text, kept together because the
// parse tree points into the token stream.
class Lexed {
 public:
  explicit Lexed(const std::string& text)
      : input_(text), lexer_(&input_), stream_(&lexer_) {
    lexer_.removeErrorListeners();
    stream_.fill();
  }

  // Our tokens; `index_of` maps each ANTLR token index to one of them (or
  // kNone for whitespace and comments).
  std::vector<Token> Tokens(std::vector<size_t>* index_of) {
    const std::vector<antlr4::Token*>& all = stream_.getTokens();
    index_of->assign(all.size(), kNone);
    std::vector<Token> tokens;
    Token pending;
    for (size_t k = 0; k < all.size(); ++k) {
      const antlr4::Token* token = all[k];
      std::string text = token->getText();
      if (token->getType() == antlr4::Token::EOF) break;
      if (IsBlank(text)) {
        pending.newlines_before += LineBreaks(text);
        pending.space_before = true;
        continue;
      }
      if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) {
        pending.comments.push_back(MakeComment(all, k, pending));
        pending.newlines_before = 0;
        pending.space_before = false;
        continue;
      }
      pending.text = std::move(text);
      pending.source_line = static_cast<int>(token->getLine());
      pending.keyword =
          IsWord(pending.text) &&
          !lexer_.getVocabulary().getLiteralName(token->getType()).empty();
      (*index_of)[k] = tokens.size();
      tokens.push_back(std::move(pending));
      pending = Token();
    }
    pending.text.clear();
    tokens.push_back(std::move(pending));
    return tokens;
  }

  antlr4::tree::ParseTree* Parse() {
    parser_ = std::make_unique<parcoursgrammar::ParcoursParser>(&stream_);
    parser_->removeErrorListeners();
    return parser_->file();
  }

 private:
  // A hidden token that is not whitespace is a comment. `//` comments and
  // unknown ones that end their line must end it in the output too.
  static Comment MakeComment(const std::vector<antlr4::Token*>& all, size_t k,
                             const Token& pending) {
    Comment comment;
    std::string text = all[k]->getText();
    comment.text = TrimLineEnds(text);
    comment.newlines_before = pending.newlines_before;
    bool line_ends = k + 1 >= all.size() ||
                     all[k + 1]->getType() == antlr4::Token::EOF ||
                     (IsBlank(all[k + 1]->getText()) &&
                      LineBreaks(all[k + 1]->getText()) > 0);
    comment.line_like =
        text.rfind("//", 0) == 0 || (text.rfind("/*", 0) != 0 && line_ends);
    return comment;
  }

  antlr4::ANTLRInputStream input_;
  parcoursgrammar::ParcoursLexer lexer_;
  antlr4::CommonTokenStream stream_;
  std::unique_ptr<parcoursgrammar::ParcoursParser> parser_;
};

// ---- What the tokens mean for the layout ---------------------------------

bool IsOpenText(const std::string& text) {
  return text == "(" || text == "[" || text == "{";
}
bool IsCloseText(const std::string& text) {
  return text == ")" || text == "]" || text == "}";
}

void MatchBrackets(std::vector<Token>& tokens) {
  std::vector<size_t> open;
  std::vector<size_t> braces;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& text = tokens[i].text;
    if (IsOpenText(text)) {
      if (text == "{") {
        tokens[i].enclosing_brace = braces.empty() ? kNone : braces.back();
        braces.push_back(i);
      }
      open.push_back(i);
    } else if (IsCloseText(text) && !open.empty()) {
      tokens[i].match = open.back();
      tokens[open.back()].match = i;
      if (tokens[open.back()].text == "{") braces.pop_back();
      open.pop_back();
    }
  }
}

class ItemFinder {
 public:
  ItemFinder(std::vector<Token>& tokens, const std::vector<size_t>& index_of)
      : tokens_(tokens), index_of_(index_of) {}

  // Marks the first token of each item: each rule (or word) between a
  // `{` and its `}` that are children of one rule, and each child of the
  // root. The tree is walked with a stack: long operator chains make it
  // deep.
  void Run(antlr4::tree::ParseTree* root) {
    MarkItems(root->children, 0, root->children.size(), kTopLevel);
    std::vector<antlr4::tree::ParseTree*> pending = {root};
    while (!pending.empty()) {
      antlr4::tree::ParseTree* node = pending.back();
      pending.pop_back();
      std::vector<size_t> open;
      for (size_t c = 0; c < node->children.size(); ++c) {
        antlr4::tree::ParseTree* child = node->children[c];
        auto* leaf = dynamic_cast<antlr4::tree::TerminalNode*>(child);
        if (leaf == nullptr) {
          pending.push_back(child);
          continue;
        }
        std::string text = leaf->getSymbol()->getText();
        if (text == "{") open.push_back(c);
        if (text == "}" && !open.empty()) {
          MarkBrace(node, open.back(), c);
          open.pop_back();
        }
      }
    }
  }

 private:
  void MarkBrace(antlr4::tree::ParseTree* node, size_t from, size_t to) {
    auto* leaf =
        dynamic_cast<antlr4::tree::TerminalNode*>(node->children[from]);
    size_t brace = IndexOf(leaf->getSymbol());
    if (brace == kNone) return;
    bool empty = tokens_[brace].match == brace + 1;
    int items = MarkItems(node->children, from + 1, to, brace);
    tokens_[brace].items_known = items > 0 || empty;
    // A split's arms may each start a line of their own; their blocks
    // follow the arm, not the `split`.
    using Grammar = parcoursgrammar::ParcoursParser;
    tokens_[brace].step_block =
        dynamic_cast<Grammar::BlockContext*>(node) != nullptr &&
        dynamic_cast<Grammar::SplitArmContext*>(node->parent) == nullptr;
  }

  // A list rule wrapped around the items (`'{' steps '}'` with `steps :
  // step*`) is looked through: one child whose children are all of one
  // rule.
  int MarkItems(const std::vector<antlr4::tree::ParseTree*>& children,
                size_t from, size_t to, size_t owner) {
    std::vector<antlr4::tree::ParseTree*> items(children.begin() + from,
                                                children.begin() + to);
    while (items.size() == 1 && IsList(items[0])) items = items[0]->children;
    int count = 0;
    for (antlr4::tree::ParseTree* item : items) {
      size_t first = FirstToken(item);
      if (first == kNone) continue;
      tokens_[first].owner = owner;
      ++count;
    }
    return count;
  }

  static bool IsList(antlr4::tree::ParseTree* node) {
    if (node->children.size() < 2) return false;
    auto* first = dynamic_cast<antlr4::RuleContext*>(node->children[0]);
    if (first == nullptr) return false;
    return std::all_of(node->children.begin(), node->children.end(),
                       [&](auto* child) {
                         auto* rule = dynamic_cast<antlr4::RuleContext*>(child);
                         return rule != nullptr &&
                                rule->getRuleIndex() == first->getRuleIndex();
                       });
  }

  // The item's first token, or kNone for separators and empty rules.
  size_t FirstToken(antlr4::tree::ParseTree* item) const {
    if (auto* leaf = dynamic_cast<antlr4::tree::TerminalNode*>(item)) {
      size_t index = IndexOf(leaf->getSymbol());
      if (index == kNone) return kNone;
      const std::string& text = tokens_[index].text;
      return IsWord(text) || IsNumber(text) || IsString(text) ? index : kNone;
    }
    auto* rule = dynamic_cast<antlr4::ParserRuleContext*>(item);
    if (rule == nullptr || rule->getStart() == nullptr) return kNone;
    if (rule->getStop() == nullptr ||
        rule->getStop()->getTokenIndex() < rule->getStart()->getTokenIndex()) {
      return kNone;
    }
    return IndexOf(rule->getStart());
  }

  size_t IndexOf(const antlr4::Token* token) const {
    size_t k = token->getTokenIndex();
    return k < index_of_.size() ? index_of_[k] : kNone;
  }

  std::vector<Token>& tokens_;
  const std::vector<size_t>& index_of_;
};

// A `{ ... }` that has two items with no comma between them (steps,
// clauses) is never kept on one line; lists with commas may be.
void MarkKeepable(std::vector<Token>& tokens) {
  std::vector<bool> seen(tokens.size(), false);
  for (size_t i = 1; i < tokens.size(); ++i) {
    size_t owner = tokens[i].owner;
    if (owner == kNone || owner == kTopLevel) continue;
    if (seen[owner] && tokens[i - 1].text != ",") {
      tokens[owner].keepable = false;
    }
    seen[owner] = true;
  }
}

bool IsLogicWord(const std::string& text) {
  return text == "and" || text == "or" || text == "not" || text == "in";
}

// `list<LineItem>`: a `<` after a word, closed on the same line by a `>`
// with only names, commas, dots and `?` between, and no operand after it
// on its line (which would make it `a < b, c > d`). An item that follows
// will start a line of its own, so it does not count.
void MarkGenerics(std::vector<Token>& tokens) {
  auto operand_start = [](const std::string& text) {
    return IsWord(text) || IsNumber(text) || IsString(text) || text == "(" ||
           text == "[";
  };
  for (size_t i = 1; i + 1 < tokens.size(); ++i) {
    if (tokens[i].text != "<" || !IsWord(tokens[i - 1].text)) continue;
    int depth = 1;
    size_t k = i + 1;
    for (; k + 1 < tokens.size() && depth > 0; ++k) {
      const std::string& text = tokens[k].text;
      if (tokens[k].newlines_before > 0 || !tokens[k].comments.empty()) break;
      bool allowed = (IsWord(text) && !IsLogicWord(text)) || text == "," ||
                     text == "." || text == "?" || text == "<" || text == ">";
      if (!allowed) break;
      if (text == "<") ++depth;
      if (text == ">") --depth;
    }
    if (depth != 0) continue;
    const Token& after = tokens[k];
    bool same_line = after.newlines_before == 0 && after.comments.empty() &&
                     after.owner == kNone;
    if (same_line && operand_start(after.text)) continue;
    tokens[i].generic = true;
    tokens[k - 1].generic = true;
  }
}

bool IsBinaryOperator(const std::string& text) {
  static const char* const kOperators[] = {
      "+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "="};
  return std::any_of(std::begin(kOperators), std::end(kOperators),
                     [&](const char* op) { return text == op; });
}

// An operator after an operand is binary. `-` and `+` after anything else
// are signs; after a keyword, the author's spacing decides (`now - 1d`).
void MarkOperators(std::vector<Token>& tokens) {
  for (size_t i = 1; i + 1 < tokens.size(); ++i) {
    Token& token = tokens[i];
    if (!IsBinaryOperator(token.text) || token.generic) continue;
    const Token& before = tokens[i - 1];
    bool operand = IsNumber(before.text) || IsString(before.text) ||
                   IsIdentifier(before) || IsCloseText(before.text) ||
                   before.text == "?" || before.generic;
    bool sign = token.text == "-" || token.text == "+";
    const Token& after = tokens[i + 1];
    bool spaced_after = after.space_before || after.newlines_before > 0;
    if (operand || (before.keyword && (!sign || spaced_after))) {
      token.binary = true;
    } else if (sign) {
      token.unary = true;
    }
  }
}

std::vector<Token> Analyze(const std::string& text) {
  Lexed lexed(text);
  std::vector<size_t> index_of;
  std::vector<Token> tokens = lexed.Tokens(&index_of);
  MatchBrackets(tokens);
  ItemFinder(tokens, index_of).Run(lexed.Parse());
  MarkKeepable(tokens);
  MarkGenerics(tokens);
  MarkOperators(tokens);
  return tokens;
}

// Whether two tokens that end up side by side on a line get a space. Rules
// for the punctuation we know; the author's choice for the rest.
bool SpaceBetween(const std::vector<Token>& tokens, size_t j) {
  const Token& a = tokens[j - 1];
  const Token& b = tokens[j];
  const std::string& x = a.text;
  const std::string& y = b.text;
  bool author = b.space_before || b.newlines_before > 0 || !b.comments.empty();

  if (x == "(" || x == "[") return false;
  if (y == ")" || y == "]" || y == ",") return false;
  if (x == "{" && y == "}") return false;
  if (x == "{" || y == "}" || y == "{") return true;
  if (b.generic) return false;
  if (a.generic && x == "<") return false;
  if (y == ".") return !(IsWord(x) || IsCloseText(x)) && author;
  if (x == ".") return !IsWord(y) && author;
  if (y == "?" && (IsWord(x) || x == ">" || x == "]")) return false;
  if (y == ":") return false;
  if (a.binary || b.binary) return true;
  if (b.unary) return !a.unary;
  if (a.unary) return false;
  if (IsCloseText(x) && (IsWord(y) || IsNumber(y) || IsString(y))) {
    return true;
  }
  if (y == "(" && IsIdentifier(a)) return false;
  if (y == "(" && IsLogicWord(x)) return true;
  if (x == ":" || x == "}" || x == ",") return true;
  return author;
}

// ---- Lines -------------------------------------------------------------

struct Line {
  int indent = 0;
  bool blank_before = false;
  std::string code;
  std::string trailing;  // a line comment, aligned with its neighbours
  bool closed = false;   // holds a line comment of its own: nothing follows
  size_t last = kNone;   // the last token on the line; kNone after a comment
};

int Width(const Line& line) {
  size_t newline = line.code.rfind('\n');
  if (newline != std::string::npos) {
    return CodePoints(line.code.substr(newline + 1));
  }
  return line.indent + CodePoints(line.code);
}

struct KeptBrace {
  size_t token;
  size_t line;
  size_t depth;
};

enum class Break {
  Same,           // on the line of the previous token
  New,            // on a line of its own, indented by the structure
  NewSameIndent,  // a join that a comment of its own line prevents
};

// Lays the tokens out into lines, with the `{` marked in `expanded` broken
// over several lines and every other `{ ... }` kept on one.
class Printer {
 public:
  Printer(const std::vector<Token>& tokens, const std::vector<bool>& expanded)
      : tokens_(tokens), expanded_(expanded) {}

  std::vector<Line> Print() {
    size_t end_line = 0;
    for (size_t i = 0; i < tokens_.size(); ++i) {
      bool end = i + 1 == tokens_.size();
      Break where = end ? Break::New : Decide(i);
      size_t gap_line = lines_.size();
      PlaceComments(i, where);
      if (end) {
        end_line = gap_line;
        break;
      }
      PlaceToken(i, where);
      if (tokens_[i].owner == kTopLevel) {
        top_items_.push_back({i, gap_line, lines_.size() - 1});
      }
    }
    bool blank = false;
    FlushDeferred(0, &blank);
    SeparateTopItems(end_line);
    return std::move(lines_);
  }

  // The `{` kept on one line, with the line they are on.
  const std::vector<KeptBrace>& Kept() const { return kept_; }

 private:
  struct TopItem {
    size_t token;
    size_t first_line;  // its first comment's, or its own
    size_t token_line;
  };

  struct Open {
    size_t token;
    int indent;       // of the line the bracket opens on
    int clause = -1;  // indent of a clause begun on a line of its own
    int item = -1;    // indent of the line the current item began on
  };

  bool Opens(size_t i) const {
    return IsOpenText(tokens_[i].text) && tokens_[i].match != kNone;
  }
  bool Closes(size_t i) const {
    return IsCloseText(tokens_[i].text) && tokens_[i].match != kNone;
  }
  bool Expanded(size_t brace) const {
    return brace != kNone && tokens_[brace].text == "{" && expanded_[brace];
  }
  int Inner() const {
    return open_.empty() ? 0 : open_.back().indent + kIndent;
  }

  Break Decide(size_t i) const {
    if (i == 0) return Break::New;
    if (BreaksBefore(i)) return Break::New;
    bool own_line_comment =
        std::any_of(tokens_[i].comments.begin(), tokens_[i].comments.end(),
                    [](const Comment& c) { return c.newlines_before > 0; });
    if (JoinsBefore(i)) {
      return own_line_comment ? Break::NewSameIndent : Break::Same;
    }
    bool newline = tokens_[i].newlines_before > 0 || own_line_comment;
    return newline ? Break::New : Break::Same;
  }

  // Items of the file and of expanded blocks start lines; so does what
  // follows an expanded `{`, and its `}`.
  bool BreaksBefore(size_t i) const {
    const Token& token = tokens_[i];
    if (token.owner == kTopLevel) return true;
    if (token.owner != kNone && Expanded(token.owner)) return true;
    if (Opens(i - 1) && Expanded(i - 1)) return true;
    return Closes(i) && Expanded(token.match);
  }

  // `,` never starts a line; `{` stays with what opens it; what continues
  // an item after a `}` stays with it (`} else {`, `} offer: 50% {`).
  bool JoinsBefore(size_t i) const {
    const Token& before = tokens_[i - 1];
    const Token& token = tokens_[i];
    if (token.text == ",") return true;
    if (token.owner != kNone) return false;
    if (token.text == "{" && Opens(i) &&
        (IsWord(before.text) || IsNumber(before.text) ||
         IsString(before.text) || before.text == ")" || before.text == "]" ||
         before.text == ">" || before.text == "?")) {
      return true;
    }
    if (before.text == "}" && Closes(i - 1)) {
      bool known = open_.empty() || (tokens_[open_.back().token].text == "{" &&
                                     tokens_[open_.back().token].items_known);
      return known || token.text == "else";
    }
    return before.text == "else" && token.text == "if";
  }

  // How a line starting with token `i` stands to the item around it.
  enum class Role {
    Closer,        // lines up with the line that opened its bracket
    First,         // an item, or the first thing in brackets: one level in
    Continuation,  // the rest of an item: one level more
  };

  Role RoleOf(size_t i) const {
    if (Closes(i) && !open_.empty()) return Role::Closer;
    if (i == 0 || tokens_[i].owner != kNone) return Role::First;
    if (open_.empty()) return Role::Continuation;
    size_t opener = open_.back().token;
    if (i - 1 == opener) return Role::First;
    bool brace = tokens_[opener].text == "{";
    if (brace && !tokens_[opener].items_known) return Role::First;
    if (!brace && tokens_[i - 1].text == ",") return Role::First;
    return Role::Continuation;
  }

  // An `and` or `or` that continues a clause begun on a line of its own
  // (`where`, `when`) goes one level under that clause.
  int IndentOf(size_t i) const {
    switch (RoleOf(i)) {
      case Role::Closer: return open_.back().indent;
      case Role::First: return Inner();
      case Role::Continuation: break;
    }
    const std::string& text = tokens_[i].text;
    int clause = open_.empty() ? top_clause_indent_ : open_.back().clause;
    if (clause >= 0 && (text == "and" || text == "or")) return clause + kIndent;
    return Inner() + kIndent;
  }

  // A continuation line that starts with a keyword (not `and`, `or`,
  // `not`, a value or a name such as `profile.x`) begins a clause.
  bool StartsClause(size_t i) const {
    const Token& token = tokens_[i];
    const std::string& next = tokens_[i + 1].text;
    return token.keyword && !IsLogicWord(token.text) && token.text != "true" &&
           token.text != "false" && token.text != "none" && next != "." &&
           next != "(";
  }

  void NoteClause(size_t i, int indent) {
    Role role = RoleOf(i);
    if (role == Role::Closer) return;
    int& clause = open_.empty() ? top_clause_indent_ : open_.back().clause;
    if (role == Role::First) clause = -1;
    if (role == Role::Continuation && StartsClause(i)) clause = indent;
  }

  int CommentIndent(size_t i, Break where) const {
    if (i + 1 == tokens_.size() || Closes(i)) return Inner();
    if (where == Break::NewSameIndent) return lines_.back().indent;
    return IndentOf(i);
  }

  // The author's blank line, unless the line is the first of the file or
  // of a block.
  bool Blank(int newlines_before) const {
    if (lines_.empty() || just_opened_) return false;
    return newlines_before >= 2;
  }

  // Top-level declarations are set apart by one blank line, before the
  // comments that lead them. One-line declarations of the same kind
  // (`import`s, short `event`s) that follow each other stay as written,
  // together or apart.
  void SeparateTopItems(size_t end_line) {
    for (size_t k = 1; k < top_items_.size(); ++k) {
      const TopItem& before = top_items_[k - 1];
      const TopItem& item = top_items_[k];
      size_t next_line =
          k + 1 < top_items_.size() ? top_items_[k + 1].first_line : end_line;
      bool one_liners = item.first_line - before.token_line == 1 &&
                        next_line - item.token_line == 1 &&
                        tokens_[before.token].text == tokens_[item.token].text;
      if (!one_liners) lines_[item.first_line].blank_before = true;
    }
  }

  void PlaceComments(size_t i, Break where) {
    own_line_in_gap_ = false;
    for (const Comment& comment : tokens_[i].comments) {
      bool trailing = comment.newlines_before == 0 && !lines_.empty() &&
                      !lines_.back().closed;
      // Once a line comment ends the line, later comments written on it
      // follow on lines of their own, so that their order is kept.
      if (trailing && !lines_.back().trailing.empty()) {
        deferred_.push_back(comment.text);
        continue;
      }
      if (trailing && comment.line_like) {
        AddTrailing(comment.text);
        continue;
      }
      if (trailing) {
        Append(comment.text, kNone);
        continue;
      }
      bool blank = Blank(comment.newlines_before);
      FlushDeferred(CommentIndent(i, where), &blank);
      StartLine(CommentIndent(i, where), blank);
      Append(comment.text, kNone);
      lines_.back().closed = comment.line_like;
      own_line_in_gap_ = true;
    }
  }

  void PlaceToken(size_t i, Break where) {
    const Token& token = tokens_[i];
    // After a block comment of its own line, code written on that line
    // stays there.
    bool after_comment = own_line_in_gap_ && token.newlines_before == 0 &&
                         !lines_.back().closed && !Closes(i);
    if (where != Break::Same && !after_comment) {
      int indent =
          where == Break::NewSameIndent ? lines_.back().indent : IndentOf(i);
      bool blank = !Closes(i) && Blank(token.newlines_before);
      FlushDeferred(CommentIndent(i, where), &blank);
      if (where == Break::New && RoleOf(i) == Role::First) {
        (open_.empty() ? top_item_indent_ : open_.back().item) = indent;
      }
      StartLine(indent, blank);
      if (where == Break::New) NoteClause(i, indent);
    }
    Append(token.text, i);

    if (Opens(i)) {
      // The steps of `if c {` line up under the `if` even when its
      // condition ran on over several lines, so that the block and its
      // `}` do not take the continuation's indent.
      int item = open_.empty() ? top_item_indent_ : open_.back().item;
      int indent = token.step_block && item >= 0
                       ? std::min(item, lines_.back().indent)
                       : lines_.back().indent;
      open_.push_back({i, indent});
      if (token.text == "{" && !expanded_[i]) {
        kept_.push_back({i, lines_.size() - 1, open_.size()});
      }
      just_opened_ = true;
    }
    if (Closes(i) && !open_.empty()) open_.pop_back();
  }

  void StartLine(int indent, bool blank) {
    Line line;
    line.indent = indent;
    line.blank_before = blank;
    lines_.push_back(std::move(line));
  }

  void Append(const std::string& piece, size_t token) {
    Line& line = lines_.back();
    if (!line.code.empty() && NeedsSpace(line.last, token)) line.code += ' ';
    line.code += piece;
    line.last = token;
    just_opened_ = false;
  }

  void AddTrailing(const std::string& text) {
    lines_.back().trailing = text;
    just_opened_ = false;
  }

  // Lines for the comments that waited for a line; a blank line meant for
  // the line that follows goes before them.
  void FlushDeferred(int indent, bool* blank) {
    for (std::string& text : deferred_) {
      Line line;
      line.indent = indent;
      line.blank_before = *blank;
      line.code = std::move(text);
      line.closed = true;
      lines_.push_back(std::move(line));
      *blank = false;
    }
    deferred_.clear();
  }

  bool NeedsSpace(size_t before, size_t token) const {
    if (before != kNone && token != kNone) return SpaceBetween(tokens_, token);
    if (before != kNone &&
        (tokens_[before].text == "(" || tokens_[before].text == "[")) {
      return false;
    }
    return token == kNone ||
           !(tokens_[token].text == ")" || tokens_[token].text == "]" ||
             tokens_[token].text == ",");
  }

  const std::vector<Token>& tokens_;
  const std::vector<bool>& expanded_;
  std::vector<Line> lines_;
  std::vector<Open> open_;
  std::vector<KeptBrace> kept_;
  std::vector<std::string> deferred_;  // line comments awaiting a line
  bool just_opened_ = false;
  bool own_line_in_gap_ = false;
  std::vector<TopItem> top_items_;
  int top_clause_indent_ = -1;
  int top_item_indent_ = -1;
};

// A `{` that is expanded forces every `{` around it to expand too, or the
// outer one would no longer be on one line.
void ExpandAround(const std::vector<Token>& tokens, size_t brace,
                  std::vector<bool>& expanded) {
  for (size_t at = brace; at != kNone; at = tokens[at].enclosing_brace) {
    expanded[at] = true;
  }
}

// Expands the outermost kept `{` of every line that is too wide. Returns
// false when there was none, so the layout is final.
bool ExpandLongLines(const std::vector<Token>& tokens,
                     const std::vector<Line>& lines,
                     const std::vector<KeptBrace>& kept,
                     std::vector<bool>& expanded) {
  std::vector<size_t> outermost(lines.size(), kNone);
  for (const KeptBrace& brace : kept) {
    if (Width(lines[brace.line]) <= kFormatWidth) continue;
    outermost[brace.line] = std::min(outermost[brace.line], brace.depth);
  }
  bool changed = false;
  for (const KeptBrace& brace : kept) {
    if (outermost[brace.line] != brace.depth) continue;
    ExpandAround(tokens, brace.token, expanded);
    changed = true;
  }
  return changed;
}

std::vector<Line> LayOut(const std::vector<Token>& tokens) {
  std::vector<bool> expanded(tokens.size(), false);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    if (token.text != "{" || token.match == kNone) continue;
    bool one_line = token.source_line == tokens[token.match].source_line;
    if (!one_line || !token.keepable) ExpandAround(tokens, i, expanded);
  }
  while (true) {
    Printer printer(tokens, expanded);
    std::vector<Line> lines = printer.Print();
    if (!ExpandLongLines(tokens, lines, printer.Kept(), expanded)) {
      return lines;
    }
  }
}

// Line comments on consecutive lines are aligned two columns after the
// widest code among them.
std::string Render(const std::vector<Line>& lines) {
  std::vector<int> column(lines.size(), 0);
  for (size_t start = 0; start < lines.size();) {
    size_t end = start;
    int widest = 0;
    while (end < lines.size() && !lines[end].trailing.empty() &&
           (end == start || !lines[end].blank_before)) {
      widest = std::max(widest, Width(lines[end]));
      ++end;
    }
    for (size_t k = start; k < end; ++k) column[k] = widest + 2;
    start = std::max(end, start + 1);
  }

  std::string out;
  for (size_t k = 0; k < lines.size(); ++k) {
    const Line& line = lines[k];
    if (line.blank_before && k > 0) out += '\n';
    std::string text = std::string(line.indent, ' ') + line.code;
    if (!line.trailing.empty()) {
      text += std::string(column[k] - Width(line), ' ') + line.trailing;
    }
    out += TrimLineEnds(text) + '\n';
  }
  return out;
}

std::string Layout(const std::string& text) {
  return Render(LayOut(Analyze(text)));
}

// The formatter's promise, checked: the same tokens and comments, and the
// same AST once parsed again.
bool SameTokens(const std::string& before, const std::string& after) {
  std::vector<size_t> unused;
  std::vector<Token> old_tokens = Lexed(before).Tokens(&unused);
  std::vector<Token> new_tokens = Lexed(after).Tokens(&unused);
  if (old_tokens.size() != new_tokens.size()) return false;
  std::vector<std::string> old_comments;
  std::vector<std::string> new_comments;
  for (size_t i = 0; i < old_tokens.size(); ++i) {
    if (old_tokens[i].text != new_tokens[i].text) return false;
    for (const Comment& c : old_tokens[i].comments) {
      old_comments.push_back(c.text);
    }
    for (const Comment& c : new_tokens[i].comments) {
      new_comments.push_back(c.text);
    }
  }
  return old_comments == new_comments;
}

bool SameAst(const Module& module, const std::string& path,
             const std::string& formatted) {
  diag::SourceManager sources;
  diag::DiagnosticEngine diagnostics;
  int32_t file = sources.Add(path, formatted);
  std::optional<Module> reparsed = ParseFile(sources, file, diagnostics);
  return reparsed && Dump(*reparsed, false) == Dump(module, false);
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t newline = text.find('\n', start);
    if (newline == std::string::npos) newline = text.size();
    lines.push_back(text.substr(start, newline - start));
    start = newline + 1;
  }
  return lines;
}

// The first changed region of two texts as one hunk; see ShortDiff.
std::string LineDiff(const std::string& before, const std::string& after,
                     int max_lines);

}  // namespace

std::optional<std::string> LayoutSource(const diag::SourceManager& sources,
                                        int32_t file,
                                        diag::DiagnosticEngine& diagnostics) {
  if (!ParseFile(sources, file, diagnostics)) return std::nullopt;
  return Layout(sources.Text(file));
}

std::optional<std::string> FormatSource(const diag::SourceManager& sources,
                                        int32_t file,
                                        diag::DiagnosticEngine& diagnostics) {
  std::optional<Module> module = ParseFile(sources, file, diagnostics);
  if (!module) return std::nullopt;
  const std::string& text = sources.Text(file);
  std::string formatted = Layout(text);
  if (formatted == text) return formatted;
  if (!SameTokens(text, formatted) ||
      !SameAst(*module, sources.Path(file), formatted)) {
    return text;
  }
  return formatted;
}

std::string ShortDiff(const std::string& original, const std::string& after,
                      int max_lines) {
  if (original == after) return "";

  // What a terminal does not show is said in words, and left out of the
  // lines compared, so that the hunk shows only what can be seen.
  std::string notes;
  std::string before = original;
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (before.rfind(kByteOrderMark, 0) == 0 &&
      after.rfind(kByteOrderMark, 0) != 0) {
    before.erase(0, kByteOrderMark.size());
    notes += "(the file starts with a byte order mark; fmt removes it)\n";
  }
  if (before.find("\r\n") != std::string::npos &&
      after.find("\r\n") == std::string::npos) {
    std::string unix_ends;
    for (size_t i = 0; i < before.size(); ++i) {
      if (before[i] != '\r' || i + 1 == before.size() ||
          before[i + 1] != '\n') {
        unix_ends += before[i];
      }
    }
    before = std::move(unix_ends);
    notes += "(the file's lines end in CRLF; fmt ends them in LF)\n";
  }
  if (before == after) return notes;
  return notes + LineDiff(before, after, max_lines);
}

namespace {

std::string LineDiff(const std::string& before, const std::string& after,
                     int max_lines) {
  std::vector<std::string> old_lines = SplitLines(before);
  std::vector<std::string> new_lines = SplitLines(after);
  size_t first = 0;
  while (first < old_lines.size() && first < new_lines.size() &&
         old_lines[first] == new_lines[first]) {
    ++first;
  }
  if (first == old_lines.size() && first == new_lines.size()) {
    return "(only the line ends at the end of the file differ)\n";
  }

  // The end of the first changed region: the fewest lines dropped from
  // both sides after which three lines (or the ends) agree again.
  auto agree = [&](size_t o, size_t n) {
    for (size_t k = 0; k < 3; ++k) {
      bool old_end = o + k >= old_lines.size();
      bool new_end = n + k >= new_lines.size();
      if (old_end || new_end) return old_end && new_end;
      if (old_lines[o + k] != new_lines[n + k]) return false;
    }
    return true;
  };
  size_t old_end = old_lines.size();
  size_t new_end = new_lines.size();
  bool found = false;
  for (size_t total = 1; total <= 400 && !found; ++total) {
    for (size_t o = 0; o <= total && !found; ++o) {
      size_t n = total - o;
      if (first + o > old_lines.size() || first + n > new_lines.size()) {
        continue;
      }
      if (agree(first + o, first + n)) {
        old_end = first + o;
        new_end = first + n;
        found = true;
      }
    }
  }

  size_t context = std::min<size_t>(first, 2);
  size_t after_context = std::min<size_t>(2, old_lines.size() - old_end);
  std::string out =
      "@@ -" + std::to_string(first - context + 1) + "," +
      std::to_string(context + (old_end - first) + after_context) + " +" +
      std::to_string(first - context + 1) + "," +
      std::to_string(context + (new_end - first) + after_context) + " @@\n";
  for (size_t k = first - context; k < first; ++k) {
    out += " " + old_lines[k] + "\n";
  }
  auto side = [&](const std::vector<std::string>& lines, size_t end,
                  char mark) {
    size_t shown = std::min<size_t>(end - first, max_lines);
    for (size_t k = first; k < first + shown; ++k) {
      out += mark + lines[k] + "\n";
    }
    if (end - first > shown) {
      out += mark + std::string("... ") + std::to_string(end - first - shown) +
             " more line(s)\n";
    }
  };
  side(old_lines, old_end, '-');
  side(new_lines, new_end, '+');
  for (size_t k = old_end; k < old_end + after_context; ++k) {
    out += " " + old_lines[k] + "\n";
  }
  std::vector<std::string> old_rest(old_lines.begin() + old_end,
                                    old_lines.end());
  std::vector<std::string> new_rest(new_lines.begin() + new_end,
                                    new_lines.end());
  if (old_rest != new_rest) out += "(more changes follow)\n";
  return out;
}

}  // namespace

}  // namespace parcours::syntax
