// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The SDP parts of the WHIP/WHEP gateway (signaling/whip-whep.h): what an
// offer's m-lines are called, a trickle-ice-sdpfrag body (RFC 8840) read
// against them, and the answer a client gets with the element's candidates.
#include <glib.h>
#include <gst/gst.h>

#include <string>

#include "unit-helpers.h"
#include "whip-whep.h"

using namespace webrtclive;
using namespace webrtclive::whipwhep;

namespace {

const std::string kOffer =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE v a\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\na=ice-ufrag:uf1\r\na=ice-pwd:pwpwpwpwpwpwpwpwpwpwpwpw\r\n"
    "a=rtpmap:96 VP8/90000\r\na=recvonly\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\na=ice-ufrag:uf1\r\na=ice-pwd:pwpwpwpwpwpwpwpwpwpwpwpw\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=recvonly\r\n";

void test_offer_mids() {
  std::string why;
  auto mids = offer_mids(kOffer, &why);
  g_assert_true(mids.has_value());
  g_assert_cmpuint(mids->size(), ==, 2);
  UNIT_ASSERT_STR_EQ((*mids)[0], "v");
  UNIT_ASSERT_STR_EQ((*mids)[1], "a");
  UNIT_ASSERT_STR_EQ(sdp_ufrag(kOffer), "uf1");
  for (const char *bad : {"", "hello", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "x=0\r\nm=video 9 RTP/AVP 0\r\n"}) {
    why.clear();
    g_assert_false(offer_mids(bad, &why).has_value());
    g_assert_false(why.empty());
  }
}

void test_sdpfrag() {
  const std::vector<std::string> mids{"v", "a"};
  std::string why;
  // RFC 8840's shape: credentials, then candidates under their m-line.
  auto f = parse_sdpfrag(
      "a=ice-ufrag:uf1\r\na=ice-pwd:pwpwpwpwpwpwpwpwpwpwpwpw\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\n"
      "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host\r\n"
      "a=end-of-candidates\r\n",
      mids, &why);
  g_assert_true(f.has_value());
  UNIT_ASSERT_STR_EQ(f->ufrag, "uf1");
  g_assert_cmpuint(f->candidates.size(), ==, 1);
  UNIT_ASSERT_STR_EQ(f->candidates[0].candidate, "candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host");
  g_assert_cmpuint(f->candidates[0].sdp_mline_index, ==, 1);
  g_assert_true(f->end);
  // No m-line: the BUNDLE transport, m-line 0.
  f = parse_sdpfrag("a=candidate:2 1 udp 1 10.0.0.1 9 typ host\n", mids, &why);
  g_assert_true(f.has_value());
  g_assert_cmpuint(f->candidates[0].sdp_mline_index, ==, 0);
  // Hostile bodies.
  why.clear();
  g_assert_false(parse_sdpfrag("m=video 9 RTP 0\r\na=mid:zz\r\na=candidate:1 1 udp 1 1.2.3.4 9 typ host\r\n", mids, &why));
  g_assert_nonnull(strstr(why.c_str(), "a=mid:zz"));
  why.clear();
  g_assert_false(parse_sdpfrag("m=video 9 RTP 0\r\na=candidate:1 1 udp 1 1.2.3.4 9 typ host\r\n", mids, &why));
  g_assert_nonnull(strstr(why.c_str(), "without a=mid"));
  std::string many;
  for (unsigned i = 0; i <= kMaxFragCandidates; i++) many += "a=candidate:" + std::to_string(i) + " 1 udp 1 10.0.0.1 9 typ host\n";
  why.clear();
  g_assert_false(parse_sdpfrag(many, mids, &why));
  g_assert_nonnull(strstr(why.c_str(), "candidates in one request"));
  why.clear();
  g_assert_false(parse_sdpfrag("GET / HTTP/1.1\r\n", mids, &why));
  g_assert_nonnull(strstr(why.c_str(), "not an SDP fragment line"));
}

void test_answer_with_candidates() {
  std::vector<protocol::Ice> cands{{"candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host", 0},
                                   {"candidate:2 1 UDP 2015363327 127.0.0.1 40001 typ host", 1},
                                   {"candidate:3 1 UDP 1 127.0.0.1 40002 typ host", 7},   // no such m-line
                                   {"a=evil\r\nm=video", 0}};                                // not a candidate
  const std::string out = answer_with_candidates(kOffer, cands, true);
  std::string why;
  auto mids = offer_mids(out, &why);  // still an SDP with both m-lines
  g_assert_true(mids && mids->size() == 2);
  const size_t audio = out.find("m=audio");
  const size_t c1 = out.find("a=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host");
  const size_t c2 = out.find("a=candidate:2 ");
  g_assert_true(c1 != std::string::npos && c1 < audio);
  g_assert_true(c2 != std::string::npos && c2 > audio);
  g_assert_true(out.find("40002") == std::string::npos);
  g_assert_true(out.find("evil") == std::string::npos);
  g_assert_true(out.find("a=end-of-candidates", audio) != std::string::npos);
  UNIT_ASSERT_STR_EQ(answer_with_candidates(kOffer, {}, false), kOffer);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(nullptr, nullptr);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/whip-whep/offer-mids", test_offer_mids);
  g_test_add_func("/whip-whep/sdpfrag", test_sdpfrag);
  g_test_add_func("/whip-whep/answer-with-candidates", test_answer_with_candidates);
  return g_test_run();
}
