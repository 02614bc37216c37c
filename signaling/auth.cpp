// SPDX-License-Identifier: LGPL-2.1-or-later
#include "auth.h"

#include <jwt.h>
#include <json-glib/json-glib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace webrtclive {

namespace {

struct JwtDeleter {
  void operator()(jwt_t *j) const { jwt_free(j); }
};

std::optional<jwt_alg_t> alg_of(const std::string &name) {
  if (name == "HS256") return JWT_ALG_HS256;
  if (name == "RS256") return JWT_ALG_RS256;
  if (name == "ES256") return JWT_ALG_ES256;
  return std::nullopt;
}

// The string array `member` of a JSON object, or an error.
bool strings_of(JsonObject *obj, const char *member, std::vector<std::string> *out, std::string *why) {
  if (!json_object_has_member(obj, member)) return true;
  JsonNode *n = json_object_get_member(obj, member);
  if (!JSON_NODE_HOLDS_ARRAY(n)) {
    *why = std::string("the token's webrtclive.") + member + " is not an array";
    return false;
  }
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
      *why = std::string("the token's webrtclive.") + member + " holds a non-string";
      return false;
    }
    out->emplace_back(json_node_get_string(e));
  }
  return true;
}

}  // namespace

bool Grant::allows_name(const std::string &name) const {
  if (names.empty()) return true;
  for (const auto &n : names) {
    if (!n.empty() && n.back() == '*' ? name.compare(0, n.size() - 1, n, 0, n.size() - 1) == 0 : n == name)
      return true;
  }
  return false;
}

bool looks_like_jwt(const std::string &token) {
  size_t dots = 0;
  for (char c : token) {
    if (c == '.') dots++;
    else if (!g_ascii_isalnum(c) && c != '-' && c != '_') return false;
  }
  return dots == 2;
}

bool load_jwt_config(const std::string &algorithm, const std::string &path, JwtConfig *config, std::string *error) {
  if (!alg_of(algorithm)) {
    *error = "unknown JWT algorithm '" + algorithm + "' (HS256, RS256 or ES256)";
    return false;
  }
  gchar *contents = nullptr;
  gsize size = 0;
  GError *err = nullptr;
  if (!g_file_get_contents(path.c_str(), &contents, &size, &err)) {
    *error = "cannot read the JWT key '" + path + "': " + err->message;
    g_error_free(err);
    return false;
  }
  std::string key(contents, size);
  g_free(contents);
  if (algorithm == "HS256") {
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (key.size() < 32) {
      *error = "the HS256 secret in '" + path + "' is shorter than 32 bytes";
      return false;
    }
  } else if (key.find("-----BEGIN PUBLIC KEY-----") == std::string::npos) {
    *error = "'" + path + "' holds no PEM public key (-----BEGIN PUBLIC KEY-----) for " + algorithm;
    return false;
  }
  config->algorithm = algorithm;
  config->key = key;
  return true;
}

std::optional<Grant> verify_jwt(const JwtConfig &config, const std::string &token, gint64 now, std::string *why) {
  auto want = alg_of(config.algorithm);
  if (!want) {
    *why = "JWT is not configured";
    return std::nullopt;
  }
  if (token.size() > 8192 || !looks_like_jwt(token)) {
    *why = "the token is not a JWT";
    return std::nullopt;
  }
  jwt_t *raw = nullptr;
  int rc = jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char *>(config.key.data()),
                      static_cast<int>(config.key.size()));
  std::unique_ptr<jwt_t, JwtDeleter> jwt(raw);
  if (rc != 0 || !jwt) {
    *why = "the token's signature is not valid";
    return std::nullopt;
  }
  // libjwt verified with whatever algorithm the token names: only ours counts.
  if (jwt_get_alg(jwt.get()) != *want) {
    *why = std::string("the token is signed with ") + jwt_alg_str(jwt_get_alg(jwt.get())) + ", not " + config.algorithm;
    return std::nullopt;
  }
  errno = 0;
  long exp = jwt_get_grant_int(jwt.get(), "exp");
  if (errno == ENOENT || exp <= 0) {
    *why = "the token has no expiry (exp)";
    return std::nullopt;
  }
  if (exp <= now) {
    *why = "the token expired";
    return std::nullopt;
  }
  errno = 0;
  long nbf = jwt_get_grant_int(jwt.get(), "nbf");
  if (errno != ENOENT && nbf > now) {
    *why = "the token is not valid yet (nbf)";
    return std::nullopt;
  }
  Grant grant;
  grant.expires_at = exp;
  char *claim = jwt_get_grants_json(jwt.get(), "webrtclive");
  if (!claim) {
    *why = "the token grants nothing (no webrtclive claim)";
    return std::nullopt;
  }
  JsonNode *node = json_from_string(claim, nullptr);
  free(claim);
  std::unique_ptr<JsonNode, decltype(&json_node_unref)> owned(node, json_node_unref);
  if (!node || !JSON_NODE_HOLDS_OBJECT(node)) {
    *why = "the token's webrtclive claim is not an object";
    return std::nullopt;
  }
  JsonObject *obj = json_node_get_object(node);
  std::vector<std::string> roles;
  if (!strings_of(obj, "roles", &roles, why) || !strings_of(obj, "names", &grant.names, why)) return std::nullopt;
  for (const auto &r : roles) {
    if (r == "producer") grant.produce = true;
    else if (r == "consumer" || r == "listener") grant.consume = true;
  }
  if (!grant.produce && !grant.consume) {
    *why = "the token grants no role (webrtclive.roles)";
    return std::nullopt;
  }
  return grant;
}

}  // namespace webrtclive
