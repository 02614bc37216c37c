// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The pure parts of the WHIP client (signaling/whip-sdp.h): what goes into
// its requests (candidates in the offer, trickle-ice-sdpfrag bodies, read
// back by the gateway's parser) and what it reads out of a server's responses (Link ice-server
// headers, Location), with their bounds.
#include <glib.h>

#include <string>
#include <vector>

#include "unit-helpers.h"
#include "whip-sdp.h"
#include "whip-whep.h"

using namespace webrtclive;
using namespace webrtclive::whip;

namespace {

// The shape webrtcbin offers: per m-line credentials, BUNDLE.
const char *kOffer =
    "v=0\r\n"
    "o=- 1 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE video0 audio1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:UfRaG\r\n"
    "a=ice-pwd:PaSsWoRd\r\n"
    "a=mid:video0\r\n"
    "a=sendonly\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=ice-ufrag:UfRaG\r\n"
    "a=ice-pwd:PaSsWoRd\r\n"
    "a=mid:audio1\r\n"
    "a=sendonly\r\n";

const protocol::Ice kHost{"candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host", 0};
const protocol::Ice kHost2{"candidate:2 1 TCP 1015021823 127.0.0.1 9 typ host tcptype active", 0};

size_t occurrences(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) n++;
  return n;
}

}  // namespace

static void test_read_offer() {
  auto info = read_offer(kOffer);
  g_assert_true(info.has_value());
  UNIT_ASSERT_STR_EQ(info->ufrag, "UfRaG");
  UNIT_ASSERT_STR_EQ(info->pwd, "PaSsWoRd");
  g_assert_cmpuint(info->mlines.size(), ==, 2);
  UNIT_ASSERT_STR_EQ(info->mlines[0].media, "video");
  UNIT_ASSERT_STR_EQ(info->mlines[0].proto, "UDP/TLS/RTP/SAVPF");
  UNIT_ASSERT_STR_EQ(info->mlines[0].fmt, "96");
  UNIT_ASSERT_STR_EQ(info->mlines[0].mid, "video0");
  UNIT_ASSERT_STR_EQ(info->mlines[1].mid, "audio1");
  // Session-level credentials (LF only) are read too.
  auto session = read_offer("v=0\na=ice-ufrag:u\na=ice-pwd:p\nm=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:0\n");
  g_assert_true(session.has_value());
  UNIT_ASSERT_STR_EQ(session->ufrag, "u");
  // Without credentials or m-lines there is nothing to trickle for.
  g_assert_false(read_offer("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n").has_value());
  g_assert_false(read_offer("").has_value());
}

// The client's offer with candidates, as the gateway's parser reads it.
static void test_offer_with_candidates() {
  std::string offer = whipwhep::sdp_with_candidates(kOffer, {kHost, kHost2, {"candidate:3 1 UDP 1 127.0.0.1 1 typ host", 1},
                                                              {"candidate:9 1 UDP 1 10.0.0.1 1 typ host", 7}},
                                                    false);
  auto video = offer.find("m=video"), audio = offer.find("m=audio");
  auto c1 = offer.find("a=candidate:1 "), c2 = offer.find("a=candidate:2 "), c3 = offer.find("a=candidate:3 ");
  g_assert_true(video < c1 && c1 < c2 && c2 < audio);
  g_assert_true(audio < c3 && c3 != std::string::npos);
  g_assert_true(offer.find("10.0.0.1") == std::string::npos);  // no such m-line
  g_assert_true(read_offer(offer).has_value());
}

static void test_sdpfrag() {
  auto info = read_offer(kOffer);
  std::string frag = build_sdpfrag(*info, {kHost, kHost2});
  UNIT_ASSERT_STR_EQ(frag,
                     "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                     "a=mid:video0\r\n"
                     "a=ice-ufrag:UfRaG\r\n"
                     "a=ice-pwd:PaSsWoRd\r\n"
                     "a=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host\r\n"
                     "a=candidate:2 1 TCP 1015021823 127.0.0.1 9 typ host tcptype active\r\n");
  // Nothing for m-lines the offer does not have.
  UNIT_ASSERT_STR_EQ(build_sdpfrag(*info, {{"candidate:1 1 UDP 1 1.2.3.4 1 typ host", 5}}), "");
  // The gateway reads what the client writes: the same credentials and
  // candidates, on the same m-lines.
  std::string why;
  auto mids = whipwhep::offer_mids(kOffer, &why);
  g_assert_true(mids.has_value());
  auto parsed = whipwhep::parse_sdpfrag(frag, *mids, &why);
  g_assert_true(parsed.has_value());
  UNIT_ASSERT_STR_EQ(parsed->ufrag, "UfRaG");
  UNIT_ASSERT_STR_EQ(parsed->pwd, "PaSsWoRd");
  g_assert_cmpuint(parsed->candidates.size(), ==, 2);
  UNIT_ASSERT_STR_EQ(parsed->candidates[1].candidate, kHost2.candidate);
  g_assert_cmpuint(parsed->candidates[1].sdp_mline_index, ==, 0);
  auto audio = whipwhep::parse_sdpfrag(build_sdpfrag(*info, {{"candidate:7 1 UDP 1 127.0.0.1 7 typ host", 1}}), *mids, &why);
  g_assert_true(audio.has_value());
  g_assert_cmpuint(audio->candidates.at(0).sdp_mline_index, ==, 1);
  // End of candidates: every m-line says so.
  std::string end = build_sdpfrag(*info, {}, true);
  g_assert_cmpuint(occurrences(end, "a=end-of-candidates\r\n"), ==, 2);
  UNIT_ASSERT_CONTAINS(end, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:audio1\r\n");
}

static void test_link_headers() {
  std::vector<std::string> problems;
  // RFC 9725 section 4.6's example, two headers, one with two links.
  auto servers = parse_link_ice_servers(
      {"<stun:stun.example.net>; rel=\"ice-server\"",
       "<turn:turn.example.net?transport=udp>; rel=\"ice-server\"; username=\"user\"; "
       "credential=\"myPassword\"; credential-type=\"password\", "
       "<turn:turn.example.net:443?transport=tcp>; rel=ice-server; username=user2; credential=\"a,b;\\\"c\"",
       "<https://example.net/doc>; rel=\"help\""},
      &problems);
  g_assert_cmpuint(problems.size(), ==, 0);
  g_assert_cmpuint(servers.size(), ==, 3);
  UNIT_ASSERT_STR_EQ(servers[0].urls.at(0), "stun:stun.example.net");
  UNIT_ASSERT_STR_EQ(servers[0].username, "");
  UNIT_ASSERT_STR_EQ(servers[1].username, "user");
  UNIT_ASSERT_STR_EQ(servers[1].credential, "myPassword");
  UNIT_ASSERT_STR_EQ(servers[2].urls.at(0), "turn:turn.example.net:443?transport=tcp");
  UNIT_ASSERT_STR_EQ(servers[2].credential, "a,b;\"c");

  // Hostile or unusable links are skipped, each with a reason.
  problems.clear();
  servers = parse_link_ice_servers({"<http://evil.example/>; rel=\"ice-server\"",
                                    "<turn:t.example>; rel=\"ice-server\"",
                                    "<turn:t.example>; rel=\"ice-server\"; username=u; credential=c; "
                                    "credential-type=oauth",
                                    "<stun:host:99999>; rel=\"ice-server\"",
                                    "<stun:host?transport=tcp>; rel=\"ice-server\"",
                                    "<stun:a@b>; rel=\"ice-server\"",
                                    "stun:no-brackets; rel=\"ice-server\"",
                                    "<stun:h>; rel=\"ice-server\"; username=\"unterminated",
                                    std::string(kMaxLinkHeaderBytes + 1, 'x')},
                                   &problems);
  g_assert_cmpuint(servers.size(), ==, 0);
  g_assert_cmpuint(problems.size(), ==, 9);
  UNIT_ASSERT_CONTAINS(problems[0], "<http://evil.example/> ignored");
  UNIT_ASSERT_CONTAINS(problems[1], "no username or credential");
  UNIT_ASSERT_CONTAINS(problems[2], "credential-type 'oauth'");
  UNIT_ASSERT_CONTAINS(problems[8], "bytes");

  // A count bound: the first kMaxIceServers are kept.
  std::string many;
  for (int i = 0; i < 50; i++) many += std::string(i ? ", " : "") + "<stun:h" + std::to_string(i) + ">; rel=ice-server";
  problems.clear();
  servers = parse_link_ice_servers({many}, &problems);
  g_assert_cmpuint(servers.size(), ==, kMaxIceServers);
  g_assert_cmpuint(problems.size(), ==, 1);
  // A credential that is too long.
  problems.clear();
  servers = parse_link_ice_servers(
      {"<turn:t>; rel=ice-server; username=u; credential=" + std::string(kMaxIceCredentialBytes + 1, 'c')}, &problems);
  g_assert_cmpuint(servers.size(), ==, 0);
  g_assert_cmpuint(problems.size(), ==, 1);
}

static void test_location() {
  std::string why;
  const std::string ep = "http://127.0.0.1:8080/whip/endpoint?x=1";
  UNIT_ASSERT_STR_EQ(resolve_location(ep, "/whip/resource/1", &why).value_or("-"), "http://127.0.0.1:8080/whip/resource/1");
  UNIT_ASSERT_STR_EQ(resolve_location(ep, "resource/1", &why).value_or("-"), "http://127.0.0.1:8080/whip/resource/1");
  UNIT_ASSERT_STR_EQ(resolve_location(ep, "https://other.example/r/2", &why).value_or("-"), "https://other.example/r/2");
  for (const char *bad : {"", "ftp://example.net/r", "javascript:alert(1)", "http://user:pw@example.net/r",
                          "/r/1\r\nX-Evil: 1", "file:///etc/passwd"}) {
    why.clear();
    g_assert_false(resolve_location(ep, bad, &why).has_value());
    g_assert_false(why.empty());
  }
  g_assert_false(resolve_location(ep, "/" + std::string(kMaxLocationBytes, 'a'), &why).has_value());
  UNIT_ASSERT_CONTAINS(why, "oversized");
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/whip/read-offer", test_read_offer);
  g_test_add_func("/whip/offer-with-candidates", test_offer_with_candidates);
  g_test_add_func("/whip/sdpfrag", test_sdpfrag);
  g_test_add_func("/whip/link-headers", test_link_headers);
  g_test_add_func("/whip/location", test_location);
  return g_test_run();
}
