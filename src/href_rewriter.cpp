#include "holdon/href_rewriter.hpp"

namespace holdon {

namespace {
constexpr std::string_view comment_open = "<!--";
constexpr std::string_view cdata_open = "<![CDATA[";

bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
}  // namespace

href_rewriter::href_rewriter(mapper map, std::size_t hold_limit, std::size_t max_depth)
    : map_(std::move(map)), hold_limit_(hold_limit), max_depth_(max_depth) {}

void href_rewriter::give_up(std::string& out) {
  out += held_;
  held_.clear();
  state_ = state::passthrough;
}

void href_rewriter::feed(std::string_view in, std::string& out) {
  std::size_t i = 0;
  while (i < in.size()) {
    if (state_ == state::passthrough) {
      out.append(in.substr(i));
      return;
    }
    if (state_ == state::text) {  // the bulk of a body: copy up to the next tag in one go
      auto lt = in.find('<', i);
      if (lt == std::string_view::npos) {
        out.append(in.substr(i));
        return;
      }
      out.append(in.substr(i, lt - i));
      held_ = "<";
      state_ = state::open;
      i = lt + 1;
      continue;
    }
    step(in[i++], out);
  }
}

// One character in any state but text and passthrough (feed copies those in bulk).
void href_rewriter::step(char c, std::string& out) {
  switch (state_) {
    case state::open: return on_open(c, out);
    case state::bang: return on_bang(c, out);
    case state::pi:
    case state::comment:
    case state::cdata: return on_opaque(c, out);
    case state::decl:
      out += c;
      if (c == '>') state_ = state::text;
      return;
    case state::start_tag:
    case state::end_tag: return on_tag(c, out);
    case state::href_text: return on_href_text(c, out);
    case state::text:
    case state::passthrough: return;  // handled by feed
  }
}

// After '<': a PI, a comment/CDATA/declaration, an end tag or a start tag.
void href_rewriter::on_open(char c, std::string& out) {
  if (c == '?') {
    out += "<?";
    held_.clear();
    state_ = state::pi;
    run_ = 0;
  } else if (c == '!') {
    held_ += c;
    state_ = state::bang;
  } else {
    held_ += c;
    quote_ = 0;
    state_ = c == '/' ? state::end_tag : state::start_tag;
    if (c == '>') on_start_tag(out);  // "<>": not XML; passed on as is
  }
}

// After "<!": held until it is known to open a comment, a CDATA section or a declaration.
void href_rewriter::on_bang(char c, std::string& out) {
  held_ += c;
  auto opened = [&](state s) {
    out += held_;
    held_.clear();
    state_ = s;
    run_ = 0;
  };
  if (held_ == comment_open) opened(state::comment);
  else if (held_ == cdata_open) opened(state::cdata);
  else if (!starts_with(comment_open, held_) && !starts_with(cdata_open, held_))
    opened(c == '>' ? state::text : state::decl);
}

// Inside a PI, comment or CDATA: copied through; ends at "?>", "-->" or "]]>".
void href_rewriter::on_opaque(char c, std::string& out) {
  out += c;
  char closer = state_ == state::pi ? '?' : state_ == state::comment ? '-' : ']';
  unsigned need = state_ == state::pi ? 1 : 2;
  if (c == '>' && run_ >= need) state_ = state::text;
  run_ = c == closer ? run_ + 1 : 0;
}

// Inside a start or end tag: held (quotes respected) until its '>'.
void href_rewriter::on_tag(char c, std::string& out) {
  held_ += c;
  if (quote_) {
    if (c == quote_) quote_ = 0;
  } else if (c == '"' || c == '\'') {
    quote_ = c;
  } else if (c == '>') {
    if (state_ == state::start_tag) on_start_tag(out);
    else on_end_tag(out);
    return;
  }
  if (held_.size() > hold_limit_) give_up(out);
}

// The text of a DAV: href: held to its end, then the URL (not the white space around it) mapped.
void href_rewriter::on_href_text(char c, std::string& out) {
  if (c != '<') {
    held_ += c;
    if (held_.size() > hold_limit_) {  // absurd href: pass it on unchanged
      out += held_;
      held_.clear();
      state_ = state::text;
    }
    return;
  }
  std::string_view t = held_;
  auto b = t.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) {
    out += held_;
  } else {
    auto e = t.find_last_not_of(" \t\r\n");
    out.append(t.substr(0, b));
    out += map_(t.substr(b, e - b + 1));
    out.append(t.substr(e + 1));
  }
  held_ = "<";
  state_ = state::open;
}

void href_rewriter::finish(std::string& out) {
  out += held_;  // a truncated document: whatever was held goes out unchanged
  held_.clear();
  state_ = state::passthrough;
}

bool href_rewriter::is_dav(std::string_view prefix) const {
  for (auto f = stack_.rbegin(); f != stack_.rend(); ++f)
    for (const auto& [p, dav] : f->decls)
      if (p == prefix) return dav;
  return false;
}

void href_rewriter::on_start_tag(std::string& out) {
  std::string_view t = held_;  // "<name attr='v' ...>" or ".../>"
  t.remove_prefix(1);
  t.remove_suffix(1);
  bool self_closing = !t.empty() && t.back() == '/';
  if (self_closing) t.remove_suffix(1);
  std::size_t i = 0;
  while (i < t.size() && !space(t[i])) ++i;
  auto name = t.substr(0, i);
  frame f;
  // Attributes: only namespace declarations matter.
  while (i < t.size()) {
    while (i < t.size() && space(t[i])) ++i;
    auto a = i;
    while (i < t.size() && t[i] != '=' && !space(t[i])) ++i;
    auto attr = t.substr(a, i - a);
    while (i < t.size() && space(t[i])) ++i;
    if (i >= t.size() || t[i] != '=') break;
    ++i;
    while (i < t.size() && space(t[i])) ++i;
    if (i >= t.size() || (t[i] != '"' && t[i] != '\'')) break;
    char q = t[i++];
    auto v = i;
    while (i < t.size() && t[i] != q) ++i;
    auto value = t.substr(v, i - v);
    ++i;
    if (attr == "xmlns") f.decls.emplace_back("", value == "DAV:");
    else if (starts_with(attr, "xmlns:")) f.decls.emplace_back(std::string(attr.substr(6)), value == "DAV:");
  }
  stack_.push_back(std::move(f));
  auto colon = name.find(':');
  auto prefix = colon == std::string_view::npos ? std::string_view() : name.substr(0, colon);
  auto local = colon == std::string_view::npos ? name : name.substr(colon + 1);
  bool href = local == "href" && !self_closing && is_dav(prefix);
  if (self_closing) stack_.pop_back();
  out += held_;
  held_.clear();
  state_ = href ? state::href_text : state::text;
  if (stack_.size() > max_depth_) state_ = state::passthrough;
}

void href_rewriter::on_end_tag(std::string& out) {
  if (!stack_.empty()) stack_.pop_back();
  out += held_;
  held_.clear();
  state_ = state::text;
}

}  // namespace holdon
