// Unit tests for holdon::href_rewriter: the streaming rewrite of DAV: href text.
// Every document is also fed split at every position (and byte by byte): the result must
// not depend on where the chunks end, and at most one tag or href is ever held back.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "holdon/href_rewriter.hpp"

using namespace holdon;

namespace {

// The mapping used here: "/x..." -> "/dav/x...", anything else gets "?" around it (so a
// test sees exactly what the mapper was given).
std::string map(std::string_view h) {
  if (!h.empty() && h.front() == '/') return "/dav" + std::string(h);
  return "?" + std::string(h) + "?";
}

std::string whole(std::string_view doc, std::size_t limit = 8192) {
  href_rewriter r(map, limit);
  std::string out;
  r.feed(doc, out);
  r.finish(out);
  return out;
}

// Same result for every two-chunk split and for byte-by-byte feeding.
void check_splits(std::string_view doc, const std::string& want, std::size_t limit = 8192) {
  for (std::size_t cut = 0; cut <= doc.size(); ++cut) {
    href_rewriter r(map, limit);
    std::string out;
    r.feed(doc.substr(0, cut), out);
    CHECK(r.held() <= limit + 1);
    r.feed(doc.substr(cut), out);
    r.finish(out);
    INFO("split at " << cut);
    CHECK(out == want);
  }
  href_rewriter r(map, limit);
  std::string out;
  for (char c : doc) r.feed(std::string_view(&c, 1), out);
  r.finish(out);
  CHECK(out == want);
}

}  // namespace

TEST_CASE("href_rewriter: mod_dav multistatus with D: and lp1: prefixes") {
  std::string doc =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<D:multistatus xmlns:D=\"DAV:\" xmlns:ns0=\"DAV:\">\n"
      "<D:response xmlns:lp1=\"DAV:\" xmlns:lp2=\"http://apache.org/dav/props/\">\n"
      "<D:href>/litmus/a%20b</D:href>\n"
      "<D:propstat><D:prop><lp1:href>/x</lp1:href><lp2:href>/not-dav</lp2:href>"
      "<D:lockdiscovery><D:activelock><D:lockroot><D:href>/litmus/lockme</D:href></D:lockroot>"
      "</D:activelock></D:lockdiscovery></D:prop></D:propstat>\n"
      "</D:response>\n</D:multistatus>\n";
  std::string want =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<D:multistatus xmlns:D=\"DAV:\" xmlns:ns0=\"DAV:\">\n"
      "<D:response xmlns:lp1=\"DAV:\" xmlns:lp2=\"http://apache.org/dav/props/\">\n"
      "<D:href>/dav/litmus/a%20b</D:href>\n"
      "<D:propstat><D:prop><lp1:href>/dav/x</lp1:href><lp2:href>/not-dav</lp2:href>"
      "<D:lockdiscovery><D:activelock><D:lockroot><D:href>/dav/litmus/lockme</D:href></D:lockroot>"
      "</D:activelock></D:lockdiscovery></D:prop></D:propstat>\n"
      "</D:response>\n</D:multistatus>\n";
  CHECK(whole(doc) == want);
  check_splits(doc, want);
}

TEST_CASE("href_rewriter: default namespace, inherited and redeclared") {
  std::string doc =
      "<multistatus xmlns=\"DAV:\"><response><href>/a</href>"
      "<x xmlns='urn:other'><href>/b</href></x><href >/c</href></response>"
      "<href xmlns='DAV:'>/d</href><q:href xmlns:q = 'DAV:'>/e</q:href><q:href>/f</q:href>"
      "</multistatus><href>/g</href>";
  std::string want =
      "<multistatus xmlns=\"DAV:\"><response><href>/dav/a</href>"
      "<x xmlns='urn:other'><href>/b</href></x><href >/dav/c</href></response>"
      "<href xmlns='DAV:'>/dav/d</href><q:href xmlns:q = 'DAV:'>/dav/e</q:href><q:href>/f</q:href>"
      "</multistatus><href>/g</href>";
  check_splits(doc, want);
}

TEST_CASE("href_rewriter: white space around the URL is kept, only the URL is mapped") {
  check_splits("<D:x xmlns:D='DAV:'><D:href>\n  /a \n</D:href><D:href/><D:href></D:href></D:x>",
               "<D:x xmlns:D='DAV:'><D:href>\n  /dav/a \n</D:href><D:href/><D:href></D:href></D:x>");
  check_splits("<D:x xmlns:D='DAV:'><D:href>http://h/a</D:href></D:x>",
               "<D:x xmlns:D='DAV:'><D:href>?http://h/a?</D:href></D:x>");
}

TEST_CASE("href_rewriter: comments, CDATA, PIs and attributes holding '>' are not tags") {
  std::string doc =
      "<D:x xmlns:D='DAV:' a='>' b=\"<D:href>\"><!-- <D:href>/no</D:href> -- > -->"
      "<![CDATA[<D:href>/no</D:href>]] ]]><?pi <D:href>/no?> ?><!DOCTYPE x>"
      "<D:href>/yes</D:href></D:x>";
  std::string want =
      "<D:x xmlns:D='DAV:' a='>' b=\"<D:href>\"><!-- <D:href>/no</D:href> -- > -->"
      "<![CDATA[<D:href>/no</D:href>]] ]]><?pi <D:href>/no?> ?><!DOCTYPE x>"
      "<D:href>/dav/yes</D:href></D:x>";
  check_splits(doc, want);
}

TEST_CASE("href_rewriter: holds back at most the limit, then passes through unchanged") {
  std::string long_href(100, 'a');
  std::string doc = "<D:x xmlns:D='DAV:'><D:href>/" + long_href + "</D:href><D:href>/b</D:href></D:x>";
  // The long href is passed on unchanged; the next one is still rewritten.
  check_splits(doc, "<D:x xmlns:D='DAV:'><D:href>/" + long_href + "</D:href><D:href>/dav/b</D:href></D:x>", 64);
  // A huge tag: everything from there on passes through, never buffered.
  std::string tag = "<D:x xmlns:D='DAV:' data='" + std::string(100, 'z') + "'>";
  std::string doc2 = tag + "<D:href>/b</D:href>";
  check_splits(doc2, doc2, 64);
  href_rewriter r(map, 64);
  std::string out;
  r.feed(doc2, out);
  CHECK(r.gave_up());
  CHECK(r.held() == 0);
}

TEST_CASE("href_rewriter: a truncated document is flushed as it came") {
  std::string doc = "<D:x xmlns:D='DAV:'><D:href>/partial";
  CHECK(whole(doc) == doc);
  CHECK(whole("<D:x xmlns:D='DAV:' a='unterminated") == "<D:x xmlns:D='DAV:' a='unterminated");
}

TEST_CASE("href_rewriter: text without markup passes through untouched") {
  std::string doc = "plain text & more > less";
  check_splits(doc, doc);
}
