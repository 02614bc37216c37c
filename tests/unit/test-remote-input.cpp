// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What a remote peer's SDP answer and ICE candidates must be before
// webrtcbin sees them. check_answer_structure: the BUNDLE case aborted the
// sink (control=true) in _connect_rtpfunnel. check_remote_candidate: 800
// candidates of 120 KB grew a sink by 110 MB.
#include <glib.h>
#include <gst/sdp/sdp.h>

#include <string>

#include "codecs.h"
#include "webrtc-util.h"
#include "unit-helpers.h"

using namespace webrtclive;

namespace {

// A session with a video, an audio and a data-channel m-line, as the sink
// offers with control=true; `bundle` is the group line's mids.
std::string sdp(const std::string &bundle, const char *kinds[3], const char *mids[3], int rejected = -1,
                int extra = 0) {
  std::string s = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  if (!bundle.empty()) s += "a=group:BUNDLE " + bundle + "\r\n";
  for (int i = 0; i < 3 + extra; i++) {
    const char *kind = i < 3 ? kinds[i] : "video";
    const char *mid = i < 3 ? mids[i] : "9";
    const int port = i == rejected ? 0 : 9;
    if (g_str_equal(kind, "application"))
      s += "m=application " + std::to_string(port) + " UDP/DTLS/SCTP webrtc-datachannel\r\n";
    else
      s += std::string("m=") + kind + " " + std::to_string(port) + " UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 " +
           (g_str_equal(kind, "video") ? "VP8/90000" : "OPUS/48000/2") + "\r\n";
    s += std::string("a=mid:") + mid + "\r\n";
  }
  return s;
}

const char *kKinds[3] = {"video", "audio", "application"};
const char *kMids[3] = {"video0", "audio1", "application2"};

std::string check(const std::string &answer_text, const std::string &offer_text = sdp("video0 audio1 application2", kKinds, kMids)) {
  GstSDPMessage *offer = nullptr, *answer = nullptr;
  g_assert_cmpint(gst_sdp_message_new_from_text(offer_text.c_str(), &offer), ==, GST_SDP_OK);
  g_assert_cmpint(gst_sdp_message_new_from_text(answer_text.c_str(), &answer), ==, GST_SDP_OK);
  std::string why = check_answer_structure(offer, answer);
  gst_sdp_message_free(offer);
  gst_sdp_message_free(answer);
  g_test_message("%s", why.empty() ? "(accepted)" : why.c_str());
  return why;
}

void test_sound_answer() {
  g_assert_true(check(sdp("video0 audio1 application2", kKinds, kMids)).empty());
  // A rejected m-line leaves the group (its port-0 m-line stays).
  g_assert_true(check(sdp("video0 application2", kKinds, kMids, 1)).empty());
}

void test_bundle_order() {
  // The data-channel mid first: _connect_rtpfunnel: assertion failed: (stream).
  UNIT_ASSERT_CONTAINS(check(sdp("application2 video0 audio1", kKinds, kMids)), "BUNDLE group 'application2 video0 audio1'");
  UNIT_ASSERT_CONTAINS(check(sdp("video0 application2", kKinds, kMids)), "is not the offer's 'video0 audio1 application2'");
  UNIT_ASSERT_CONTAINS(check(sdp("video0 audio1 application2 video0", kKinds, kMids)), "BUNDLE");
  UNIT_ASSERT_CONTAINS(check(sdp("video0 audio1 application2 nine", kKinds, kMids)), "BUNDLE");
  UNIT_ASSERT_CONTAINS(check(sdp("", kKinds, kMids)), "does not bundle");
}

void test_mlines() {
  UNIT_ASSERT_CONTAINS(check(sdp("video0 audio1 application2", kKinds, kMids, -1, 1)), "4 m-lines; the offer had 3");
  const char *swapped[3] = {"audio", "video", "application"};
  UNIT_ASSERT_CONTAINS(check(sdp("video0 audio1 application2", swapped, kMids)), "m-line 0 is 'audio' in the answer but 'video'");
  const char *mids[3] = {"video0", "x", "application2"};
  UNIT_ASSERT_CONTAINS(check(sdp("video0 x application2", kKinds, mids)), "m-line 1 has mid 'x'");
}

void test_candidates() {
  const std::string host = "candidate:842163049 1 udp 2122260223 192.168.1.20 54321 typ host generation 0";
  auto v = check_remote_candidate(host, 0, 2, 0);
  g_assert_cmpint(v.kind, ==, CandidateVerdict::Use);
  v = check_remote_candidate("candidate:1 1 TCP 1518280447 ::1 9 typ host tcptype active", 1, 2, 0);
  g_assert_cmpint(v.kind, ==, CandidateVerdict::Use);
  // Ignored: end-of-candidates, mDNS, not a candidate, not an IP.
  g_assert_cmpint(check_remote_candidate("", 0, 2, 0).kind, ==, CandidateVerdict::Ignore);
  v = check_remote_candidate("candidate:1 1 udp 2122260223 5e0c-aa.local 54321 typ host", 0, 2, 0);
  g_assert_cmpint(v.kind, ==, CandidateVerdict::Ignore);
  UNIT_ASSERT_CONTAINS(v.why, "mDNS");
  for (const char *bad : {"hello", "candidate:1 1 sctp 1 1.2.3.4 5 typ host", "candidate:1 1 udp x 1.2.3.4 5 typ host",
                          "candidate:1 1 udp 1 1.2.3.4 70000 typ host", "candidate:1 1 udp 1 1.2.3.4 5 type host",
                          "candidate:1 1 udp 1 evil.example 5 typ host"})
    g_assert_cmpint(check_remote_candidate(bad, 0, 2, 0).kind, ==, CandidateVerdict::Ignore);
  // Ended: size, count, m-line index.
  v = check_remote_candidate(host + std::string(120000, 'x'), 0, 2, 0);
  g_assert_cmpint(v.kind, ==, CandidateVerdict::EndSession);
  UNIT_ASSERT_CONTAINS(v.why, "at most 512");
  v = check_remote_candidate(host, 7, 2, 0);
  g_assert_cmpint(v.kind, ==, CandidateVerdict::EndSession);
  UNIT_ASSERT_CONTAINS(v.why, "m-line 7 of 2");
  g_assert_cmpint(check_remote_candidate(host, 0, 2, kMaxRemoteCandidates - 1).kind, ==, CandidateVerdict::Use);
  v = check_remote_candidate(host, 0, 2, kMaxRemoteCandidates);
  g_assert_cmpint(v.kind, ==, CandidateVerdict::EndSession);
  UNIT_ASSERT_CONTAINS(v.why, "more than 64");
  g_assert_cmpuint(count_mlines(""), ==, 0);
  g_assert_cmpuint(count_mlines("v=0\r\nm=video 9 x\r\na=x\r\nm=audio 9 x\r\n"), ==, 2);
}

}  // namespace

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/answer-structure/sound", test_sound_answer);
  g_test_add_func("/answer-structure/bundle-order", test_bundle_order);
  g_test_add_func("/answer-structure/m-lines", test_mlines);
  g_test_add_func("/remote-candidates", test_candidates);
  return g_test_run();
}
