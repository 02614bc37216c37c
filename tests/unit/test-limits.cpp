// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Hostile input to the protocol library: sizes and nesting checked before
// json-glib parses anything, and the control channel's messages (including
// the ones that used to abort the process: a null or numeric event name, a
// non-string type).
#include <glib.h>

#include <string>

#include "protocol.h"
#include "unit-helpers.h"

using namespace webrtclive::protocol;

namespace {

std::string nested(char open, size_t depth) { return std::string(depth, open); }

void test_depth_checked_before_parsing() {
  // 75,000 '[' overflowed the stack inside json-glib (SIGSEGV) before.
  auto p = parse_client(nested('[', 75000));
  g_assert_false(p);
  UNIT_ASSERT_CONTAINS(p.error, "nested deeper than 32");
  auto s = parse_server("{\"type\":\"welcome\",\"peerId\":\"x\",\"a\":" + nested('{', 100000));
  g_assert_false(s);
  UNIT_ASSERT_CONTAINS(s.error, "nested deeper");
  // Brackets inside strings do not count; 32 levels are fine.
  std::string meta = nested('[', 31) + std::string(31, ']');
  auto ok = parse_client(R"({"type":"setPeerStatus","roles":["producer"],"meta":{"name":"[[[[{{{{\"]]"}})");
  g_assert_true(ok);
  g_assert_true(parse_client(R"({"type":"setPeerStatus","roles":["producer"],"meta":)" + meta + "}"));
  g_assert_false(parse_client(R"({"type":"setPeerStatus","roles":["producer"],"meta":[)" + meta + "]}"));
}

void test_size_checked_before_parsing() {
  std::string big = R"({"type":"list","pad":")" + std::string(kMaxMessageBytes, 'x') + "\"}";
  auto p = parse_client(big);
  g_assert_false(p);
  UNIT_ASSERT_CONTAINS(p.error, "at most 262144");
  g_assert_true(check_json_limits(std::string(100, 'x'), 100, 1).empty());
  g_assert_false(check_json_limits(std::string(101, 'x'), 100, 1).empty());
  g_assert_true(check_json_limits(R"(["\\", "\"[", {"a": []}])", 100, 3).empty());
  g_assert_false(check_json_limits(R"([[[[]]]])", 100, 3).empty());
}

// Found by fuzz/fuzz-protocol and fuzz-control: json-glib accepts text
// RFC 8259 does not, which then did not survive a relay unchanged.
void test_strict_json_text() {
  for (const char *bad : {R"({"type":"startSession","peerId":"0.0\=r"})",     // unknown escape
                          "{\"type\":\"list\",\"x\":\"a\x06" "b\"}",            // raw control character
                          R"({"type":"list","x":"\u12"})",                       // short \u escape
                          R"({"type":"list","x":"\udBBB"})",                     // lone high surrogate
                          R"({"type":"list","x":"\udc00x"})",                    // lone low surrogate
                          R"({"type":"list","x":"\ud83d\u0041"})",              // high then not low
                          R"({"type":"list","x":015})",                           // leading zero
                          R"({"type":"list","x":-015})",
                          "{\"type\":\"list\",\"x\":\"\xff\xfe\"}"}) {          // not UTF-8
    auto p = parse_client(bad);
    gchar *shown = g_strescape(bad, nullptr);  // TAP output stays UTF-8
    g_test_message("%s -> %s", shown, p.error.c_str());
    g_free(shown);
    g_assert_false(p);
    UNIT_ASSERT_CONTAINS(p.error, "invalid JSON");
  }
  for (const char *good : {R"({"type":"list","x":0})", R"({"type":"list","x":-0.5e-05})", R"({"type":"list","x":10})",
                           R"({"type":"list","x":"\u00e9 \" \\ \/ \b\f\n\r\t é"})", R"({"type":"list","x":1.05E+2})", R"({"type":"list","x":"\ud83d\ude00"})"})
    g_assert_true(parse_client(good));
  auto c = parse_control(R"({"id": 3, "request": {"type": "navigationEvent", "event": {"event": "MouseMove", "delta_x": 015}}})");
  UNIT_ASSERT_CONTAINS(c.error, "leading zero");
  g_assert_cmpint(c.id, ==, -1);
}

void test_control_valid() {
  auto r = parse_control(
      R"({"id":7,"request":{"type":"navigationEvent","event":{"event":"MouseButtonPress","x":10.5,"y":20,"button":1}}})");
  g_assert_true(r.error.empty());
  g_assert_cmpint(r.id, ==, 7);
  g_assert_true(r.navigation.has_value());
  g_assert_cmpstr(r.navigation->event.c_str(), ==, "MouseButtonPress");
  g_assert_cmpfloat(r.navigation->x, ==, 10.5);
  g_assert_cmpfloat(r.navigation->y, ==, 20);
  g_assert_cmpint(*r.navigation->button, ==, 1);
  g_assert_false(r.navigation->key.has_value());
  auto k = parse_control(R"({"id":8,"request":{"type":"navigationEvent","event":{"event":"KeyPress","key":"ü"}}})");
  g_assert_true(k.error.empty());
  g_assert_cmpstr(k.navigation->key->c_str(), ==, "ü");
}

void test_control_hostile() {
  struct Case {
    const char *json;
    const char *error;
    long long id;
  } cases[] = {
      // These aborted the process (std::string from NULL) or logged a Json-CRITICAL.
      {R"({"id":1,"request":{"type":"navigationEvent","event":{"event":null}}})", "string 'event'", 1},
      {R"({"id":2,"request":{"type":"navigationEvent","event":{"event":5}}})", "string 'event'", 2},
      {R"({"id":3,"request":{"type":5}})", "string 'type'", 3},
      {R"({"id":4,"request":{"type":null}})", "string 'type'", 4},
      {R"({"id":5,"request":{"type":"navigationEvent","event":{"event":"KeyPress","key":[1]}}})", "'key'", 5},
      {R"({"id":6,"request":{"type":"navigationEvent","event":{"event":"MouseMove","x":"left"}}})", "'x'", 6},
      {R"({"id":7,"request":{"type":"navigationEvent","event":{"event":"MouseButtonPress","button":1e9}}})",
       "'button'", 7},
      {R"({"id":"8","request":{"type":"navigationEvent"}})", "event object", -1},
      {R"({"id":9,"request":"navigationEvent"})", "expected {id, request", 9},
      {"[1,2]", "expected {id, request", -1},
      {"not json", "invalid JSON", -1},
      {"", "invalid JSON", -1},
  };
  for (const auto &c : cases) {
    auto r = parse_control(c.json);
    g_test_message("%s -> id %lld, %s", c.json, r.id, r.error.c_str());
    g_assert_false(r.navigation.has_value());
    UNIT_ASSERT_CONTAINS(r.error, c.error);
    g_assert_cmpint(r.id, ==, c.id);
  }
  auto deep = parse_control("{\"id\":1,\"request\":" + nested('[', 1000));
  UNIT_ASSERT_CONTAINS(deep.error, "nested deeper");
  auto big = parse_control("{\"id\":1,\"pad\":\"" + std::string(kMaxControlMessageBytes, 'x') + "\"}");
  UNIT_ASSERT_CONTAINS(big.error, "larger than");
}

// Found by fuzz-control: json-glib's error message quotes the input cut in
// the middle of a UTF-8 sequence; the reply must still be valid JSON.
void test_error_text_is_utf8() {
  auto r = parse_control("{\"id\": 3, \"request\": {\"type\": \"navigationEvent{\xde\x9f" "vent\": 1 +}}");
  g_assert_false(r.error.empty());
  g_assert_true(g_utf8_validate(r.error.c_str(), -1, nullptr));
  g_assert_true(unit::parse_json(control_response(r.id, r.error)) != nullptr);
  auto p = parse_client("{\"type\": \"li\xde\x9f" "st\" +}");
  g_assert_true(g_utf8_validate(p.error.c_str(), -1, nullptr));
}

void test_control_response_is_json() {
  // g_strescape made invalid JSON of non-ASCII text; the builder does not.
  std::string r = control_response(3, "unknown navigation event 'Klick ü \"x\"'");
  g_assert_true(unit::json_same(r, R"({"type":"ControlResponseMessage","id":3,"error":"unknown navigation event 'Klick ü \"x\"'"})"));
  g_assert_true(unit::json_same(control_response(-1, ""), R"({"type":"ControlResponseMessage","id":-1,"error":null})"));
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/limits/depth-before-parsing", test_depth_checked_before_parsing);
  g_test_add_func("/limits/size-before-parsing", test_size_checked_before_parsing);
  g_test_add_func("/limits/strict-json-text", test_strict_json_text);
  g_test_add_func("/control/valid", test_control_valid);
  g_test_add_func("/control/hostile", test_control_hostile);
  g_test_add_func("/control/response-is-json", test_control_response_is_json);
  g_test_add_func("/control/error-text-is-utf8", test_error_text_is_utf8);
  return g_test_run();
}
