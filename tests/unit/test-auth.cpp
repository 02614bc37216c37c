// SPDX-License-Identifier: LGPL-2.1-or-later
//
// JWT verification (signaling/auth.*): tokens made here with libjwt, keys
// made with openssl (a test dependency). What an attacker would try: an
// expired token, another key, "alg": "none", an HS256 token whose secret is
// the server's RS256 public key (algorithm confusion), no expiry.
#include <glib.h>
#include <glib/gstdio.h>
#include <jwt.h>

#include <string>

#include "auth.h"
#include "hub-fixture.h"
#include "unit-helpers.h"

using namespace webrtclive;

namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-secret";
const gint64 kNow = 1800000000;

std::string make(jwt_alg_t alg, const std::string &key, const std::string &claim, long exp = kNow + 60,
                 long nbf = 0) {
  jwt_t *j = nullptr;
  jwt_new(&j);
  if (exp) jwt_add_grant_int(j, "exp", exp);
  if (nbf) jwt_add_grant_int(j, "nbf", nbf);
  if (!claim.empty()) g_assert_cmpint(jwt_add_grants_json(j, ("{\"webrtclive\":" + claim + "}").c_str()), ==, 0);
  g_assert_cmpint(jwt_set_alg(j, alg, alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char *>(key.data()),
                              alg == JWT_ALG_NONE ? 0 : static_cast<int>(key.size())),
                  ==, 0);
  char *s = jwt_encode_str(j);
  std::string out = s ? s : "";
  free(s);
  jwt_free(j);
  return out;
}

std::string read_file(const std::string &path) {
  gchar *c = nullptr;
  g_assert_true(g_file_get_contents(path.c_str(), &c, nullptr, nullptr));
  std::string out(c);
  g_free(c);
  return out;
}

// An EC P-256 or RSA key pair made by openssl: {private PEM, public PEM}.
std::pair<std::string, std::string> keypair(const char *kind) {
  gchar *dir = g_dir_make_tmp("webrtclive-jwt-XXXXXX", nullptr);
  std::string priv = std::string(dir) + "/key.pem", pub = std::string(dir) + "/pub.pem";
  std::string gen = g_str_equal(kind, "EC")
                        ? "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + priv
                        : "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + priv;
  // openssl's output is captured: stdout here is TAP.
  auto run = [](const std::string &cmd) {
    gchar *out = nullptr, *err = nullptr;
    int status = 0;
    const bool ok = g_spawn_command_line_sync(cmd.c_str(), &out, &err, &status, nullptr) && status == 0;
    g_free(out);
    g_free(err);
    return ok;
  };
  g_assert_true(run(gen));
  g_assert_true(run("openssl pkey -in " + priv + " -pubout -out " + pub));
  auto out = std::make_pair(read_file(priv), read_file(pub));
  g_remove(priv.c_str());
  g_remove(pub.c_str());
  g_rmdir(dir);
  g_free(dir);
  return out;
}

std::string refused(const JwtConfig &c, const std::string &token) {
  std::string why;
  auto g = verify_jwt(c, token, kNow, &why);
  g_assert_false(g.has_value());
  g_test_message("refused: %s", why.c_str());
  return why;
}

void test_hs256() {
  JwtConfig c{"HS256", kSecret};
  std::string why;
  auto g = verify_jwt(c, make(JWT_ALG_HS256, kSecret, R"({"roles":["producer"],"names":["cam","door-*"]})"), kNow, &why);
  g_assert_true(g.has_value());
  g_assert_true(g->produce);
  g_assert_false(g->consume);
  g_assert_cmpint(g->expires_at, ==, kNow + 60);
  g_assert_true(g->allows_name("cam") && g->allows_name("door-1") && !g->allows_name("camera") && !g->allows_name("do"));
  auto any = verify_jwt(c, make(JWT_ALG_HS256, kSecret, R"({"roles":["consumer"]})"), kNow, &why);
  g_assert_true(any && any->consume && any->allows_name("anything"));

  UNIT_ASSERT_CONTAINS(refused(c, make(JWT_ALG_HS256, kSecret, R"({"roles":["consumer"]})", kNow - 1)), "expired");
  UNIT_ASSERT_CONTAINS(refused(c, make(JWT_ALG_HS256, kSecret + "x", R"({"roles":["consumer"]})")), "signature");
  UNIT_ASSERT_CONTAINS(refused(c, make(JWT_ALG_HS256, kSecret, R"({"roles":["consumer"]})", 0)), "no expiry");
  UNIT_ASSERT_CONTAINS(refused(c, make(JWT_ALG_HS256, kSecret, R"({"roles":["consumer"]})", kNow + 60, kNow + 30)),
                       "not valid yet");
  UNIT_ASSERT_CONTAINS(refused(c, make(JWT_ALG_HS256, kSecret, "")), "grants nothing");
  UNIT_ASSERT_CONTAINS(refused(c, make(JWT_ALG_HS256, kSecret, R"({"roles":["admin"]})")), "no role");
  UNIT_ASSERT_CONTAINS(refused(c, make(JWT_ALG_HS256, kSecret, R"({"roles":"producer"})")), "not an array");
  // "alg": "none": unsigned.
  std::string none = make(JWT_ALG_NONE, "", R"({"roles":["producer"]})");
  refused(c, none);
  refused(c, none + "x");
  refused(c, "not.a.jwt");
  refused(c, "");
  refused(c, std::string(10000, 'a') + ".b.c");
}

void test_rs256_es256_and_confusion() {
  auto [rsa_priv, rsa_pub] = keypair("RSA");
  JwtConfig rs{"RS256", rsa_pub};
  std::string why;
  auto g = verify_jwt(rs, make(JWT_ALG_RS256, rsa_priv, R"({"roles":["consumer"],"names":["cam"]})"), kNow, &why);
  g_assert_true(g && g->consume && !g->produce);
  // Algorithm confusion: HS256 with the (public) RSA key as the HMAC secret.
  UNIT_ASSERT_CONTAINS(refused(rs, make(JWT_ALG_HS256, rsa_pub, R"({"roles":["producer"]})")), "not RS256");
  auto [ec_priv, ec_pub] = keypair("EC");
  JwtConfig es{"ES256", ec_pub};
  g_assert_true(verify_jwt(es, make(JWT_ALG_ES256, ec_priv, R"({"roles":["producer"]})"), kNow, &why).has_value());
  refused(es, make(JWT_ALG_ES256, keypair("EC").first, R"({"roles":["producer"]})"));  // another key
  refused(es, make(JWT_ALG_RS256, rsa_priv, R"({"roles":["producer"]})"));
}

void test_load_config() {
  gchar *path = nullptr;
  int fd = g_file_open_tmp("webrtclive-secret-XXXXXX", &path, nullptr);
  g_assert_cmpint(fd, >=, 0);
  close(fd);
  JwtConfig c;
  std::string error;
  g_assert_true(g_file_set_contents(path, "short\n", -1, nullptr));
  g_assert_false(load_jwt_config("HS256", path, &c, &error));
  UNIT_ASSERT_CONTAINS(error, "shorter than 32");
  g_assert_true(g_file_set_contents(path, (kSecret + "\n").c_str(), -1, nullptr));
  g_assert_true(load_jwt_config("HS256", path, &c, &error));
  g_assert_true(c.key == kSecret);  // the newline is not part of it
  g_assert_false(load_jwt_config("RS256", path, &c, &error));
  UNIT_ASSERT_CONTAINS(error, "no PEM public key");
  g_assert_false(load_jwt_config("none", path, &c, &error));
  UNIT_ASSERT_CONTAINS(error, "unknown JWT algorithm");
  g_assert_false(load_jwt_config("HS256", "/nonexistent/key", &c, &error));
  g_remove(path);
  g_free(path);
}

// The hub enforces a peer's grant.
void test_hub_grants() {
  using namespace hubtest;
  World w;
  auto grant = [](bool produce, bool consume, std::vector<std::string> names) {
    Grant g;
    g.produce = produce;
    g.consume = consume;
    g.names = std::move(names);
    return g;
  };
  auto connect = [&](std::optional<Grant> g) -> FakePeer & {
    auto p = std::make_unique<FakePeer>();
    FakePeer *raw = p.get();
    raw->id = w.hub.add_peer([raw](const ServerMessage &m) { raw->wire.push_back(to_json(m)); }, g);
    raw->wire.clear();
    w.peers.push_back(std::move(p));
    return *raw;
  };
  FakePeer &cam = connect(grant(true, false, {"cam"}));
  w.set_status(cam, R"(["producer"])", R"({"name":"door"})");
  EXPECT_ERROR(cam, "does not allow producing as 'door'");
  w.set_status(cam, R"(["producer"])", R"({"name":"cam"})");
  EXPECT_NOTHING(cam);
  FakePeer &other = connect(std::nullopt);  // trusted (in-process or the simple token)
  w.set_status(other, R"(["producer"])", R"({"name":"secret-cam"})");
  FakePeer &viewer = connect(grant(false, true, {"cam"}));
  w.set_status(viewer, R"(["producer"])", R"({"name":"cam"})");
  EXPECT_ERROR(viewer, "does not allow producing");
  w.set_status(viewer, R"(["listener"])");
  viewer.wire.clear();  // its own peerStatusChanged
  w.send(viewer, R"({"type":"list"})");
  ListReply list = TAKE(viewer, ListReply);
  g_assert_cmpuint(list.producers.size(), ==, 1);  // secret-cam is not shown
  g_assert_true(list.producers[0].id == cam.id);
  w.send(viewer, R"({"type":"startSession","peerId":")" + other.id + R"("})");
  EXPECT_ERROR(viewer, "does not allow consuming 'secret-cam'");
  w.start(viewer, cam);
  FakePeer &producer_only = connect(grant(true, false, {}));
  w.set_status(producer_only, R"(["listener"])");
  EXPECT_ERROR(producer_only, "does not allow consuming");
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/auth/hs256", test_hs256);
  g_test_add_func("/auth/rs256-es256-confusion", test_rs256_es256_and_confusion);
  g_test_add_func("/auth/load-config", test_load_config);
  g_test_add_func("/auth/hub-grants", test_hub_grants);
  return g_test_run();
}
