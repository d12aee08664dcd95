// href_rewriter: pure, streaming. Rewrites the text of every DAV: href element of an XML
// body (207 multistatus, lock discovery...) while the body passes through in chunks, so
// a prefix-mounted route can turn "/litmus/a" into "/dav/litmus/a" without buffering the
// response. Recognises href under any prefix bound to DAV: ("<D:href>", "<lp1:href>",
// "<href xmlns='DAV:'>", a default namespace inherited from an ancestor), with a scope
// stack of namespace declarations. Holds back at most one tag or one href text (each
// limited by hold_limit); anything larger or deeper than max_depth is passed through
// unchanged from then on, never buffered. Comments, CDATA, PIs and declarations pass
// through untouched.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace holdon {

class href_rewriter {
 public:
  using mapper = std::function<std::string(std::string_view)>;  // href text -> new text
  explicit href_rewriter(mapper map, std::size_t hold_limit = 8192, std::size_t max_depth = 256);

  void feed(std::string_view in, std::string& out);  // appends the rewritten bytes to out
  void finish(std::string& out);                     // end of body: flushes what is held back
  std::size_t held() const { return held_.size(); }
  bool gave_up() const { return state_ == state::passthrough; }

 private:
  enum class state { text, open, bang, pi, comment, cdata, decl, start_tag, end_tag, href_text, passthrough };
  struct frame {
    std::vector<std::pair<std::string, bool>> decls;  // prefix ("" = default) -> bound to DAV:
  };

  void step(char c, std::string& out);
  void on_open(char c, std::string& out);
  void on_bang(char c, std::string& out);
  void on_opaque(char c, std::string& out);
  void on_tag(char c, std::string& out);
  void on_href_text(char c, std::string& out);
  void on_start_tag(std::string& out);
  void on_end_tag(std::string& out);
  bool is_dav(std::string_view prefix) const;
  void give_up(std::string& out);

  mapper map_;
  std::size_t hold_limit_, max_depth_;
  state state_ = state::text;
  std::string held_;      // a tag being read, or an href's text
  char quote_ = 0;        // inside an attribute value of a start tag
  unsigned run_ = 0;      // consecutive '-' / ']' / '?' before a '>' that may end a comment, CDATA, PI
  std::vector<frame> stack_;
};

}  // namespace holdon
