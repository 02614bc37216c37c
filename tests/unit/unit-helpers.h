// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Small helpers shared by the unit tests: semantic JSON comparison and
// assertions that print what they saw.
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include <string>

namespace unit {

// Parses `text`; nullptr when it is not JSON.
inline JsonNode *parse_json(const std::string &text) {
  GError *err = nullptr;
  JsonNode *n = json_from_string(text.c_str(), &err);
  if (err) g_error_free(err);
  return n;
}

// The JSON string literal of a text (escapes CR/LF of SDPs and the rest).
inline std::string js(const std::string &s) {
  JsonNode *n = json_node_new(JSON_NODE_VALUE);
  json_node_set_string(n, s.c_str());
  gchar *t = json_to_string(n, FALSE);
  std::string out(t);
  g_free(t);
  json_node_unref(n);
  return out;
}

// Whether two JSON texts denote the same value (member order ignored).
inline bool json_same(const std::string &a, const std::string &b) {
  JsonNode *na = parse_json(a);
  JsonNode *nb = parse_json(b);
  bool same = na && nb && json_node_equal(na, nb);
  if (na) json_node_unref(na);
  if (nb) json_node_unref(nb);
  return same;
}

// The canonical (compact) text json-glib makes of a JSON value.
inline std::string canonical_json(const std::string &text) {
  JsonNode *n = parse_json(text);
  if (!n) return "<not JSON: " + text + ">";
  gchar *s = json_to_string(n, FALSE);
  std::string out(s);
  g_free(s);
  json_node_unref(n);
  return out;
}

// The top-level object member `key` of a JSON text, as canonical JSON text,
// or "<absent>" when there is no such member.
inline std::string json_member(const std::string &text, const char *key) {
  JsonNode *n = parse_json(text);
  std::string out = "<absent>";
  if (n && JSON_NODE_HOLDS_OBJECT(n)) {
    JsonObject *o = json_node_get_object(n);
    if (json_object_has_member(o, key)) {
      gchar *s = json_to_string(json_object_get_member(o, key), FALSE);
      out = s;
      g_free(s);
    }
  }
  if (n) json_node_unref(n);
  return out;
}

inline void fail(const char *file, int line, const char *func, const std::string &msg) {
  g_assertion_message(G_LOG_DOMAIN, file, line, func, msg.c_str());
}

}  // namespace unit

#define UNIT_ASSERT_JSON_SAME(actual, expected)                                                          \
  do {                                                                                                   \
    std::string a_ = (actual), e_ = (expected);                                                          \
    if (!unit::json_same(a_, e_))                                                                        \
      unit::fail(__FILE__, __LINE__, G_STRFUNC, "JSON differs:\n  actual:   " + a_ + "\n  expected: " + e_); \
  } while (0)

#define UNIT_ASSERT_CONTAINS(haystack, needle)                                                      \
  do {                                                                                              \
    std::string h_ = (haystack), n_ = (needle);                                                     \
    if (h_.find(n_) == std::string::npos)                                                           \
      unit::fail(__FILE__, __LINE__, G_STRFUNC, "'" + h_ + "' does not contain '" + n_ + "'");      \
  } while (0)

// String equality that keeps its operands alive (g_assert_cmpstr on a
// temporary std::string's c_str() would read freed memory).
#define UNIT_ASSERT_STR_EQ(actual, expected)                                                      \
  do {                                                                                            \
    std::string a_ = (actual), e_ = (expected);                                                   \
    if (a_ != e_)                                                                                 \
      unit::fail(__FILE__, __LINE__, G_STRFUNC, "got '" + a_ + "', expected '" + e_ + "'");     \
  } while (0)
