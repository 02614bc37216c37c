// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The layer ladder property (video-layers) and the TWCC plumbing of
// core/twcc.h: extmap in SDP and caps, answers that keep it, and 1.22's
// RTPTWCCPackets event read into TwccPackets, bounded.
#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <string>

#include "twcc.h"
#include "unit-helpers.h"
#include "video-layers.h"

using namespace webrtclive;

namespace {

void test_parse_ladder() {
  std::string error;
  auto l = parse_video_layers(" 1280x720@2500, 640x360@800,320x180@250 ", &error);
  g_assert_true(l.has_value());
  g_assert_cmpuint(l->size(), ==, 3);
  g_assert_true((*l)[1] == (VideoLayer{640, 360, 800}));
  UNIT_ASSERT_STR_EQ(to_string(*l), "1280x720@2500,640x360@800,320x180@250");
  auto none = parse_video_layers("", &error);
  g_assert_true(none.has_value() && none->empty());
}

void test_refuse_bad_ladders() {
  const char *bad[] = {
      "1280x720",                    // no bitrate
      "1280x720@2500,640x360@2500",  // not decreasing
      "640x360@800,1280x720@2500",   // increasing
      "1281x720@2500",               // odd width
      "8x8@100",                     // too small
      "9000x720@2500",               // too wide
      "1280x720@5",                  // bitrate too low
      "1280x720@2500,,640x360@800",  // empty item
      "1280x720@2500;640x360@800",   // wrong separator
      "-1280x720@2500",
      "1280x720@99999999999",
      "1280x720@2500,960x540@1500,640x360@800,480x270@500,320x180@250",  // five
  };
  for (const char *text : bad) {
    std::string error;
    g_assert_false(parse_video_layers(text, &error).has_value());
    g_assert_true(error.find("video-layers") == 0);
  }
  std::string error, longer(300, '1');
  g_assert_false(parse_video_layers(longer, &error).has_value());
}

GstSDPMessage *sdp(const std::string &text) {
  GstSDPMessage *msg = nullptr;
  gst_sdp_message_new_from_text(text.c_str(), &msg);
  return msg;
}

const std::string kHead = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

void test_extmap_in_sdp() {
  GstSDPMessage *offer = sdp(kHead +
                             "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=extmap:3 "
                             "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
                             "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\n"
                             "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=extmap:5 "
                             "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n");
  g_assert_cmpint(twcc_extmap_id(gst_sdp_message_get_media(offer, 0)), ==, 3);
  g_assert_cmpint(twcc_extmap_id(gst_sdp_message_get_media(offer, 1)), ==, 0);
  // An answer without extmaps (what webrtcbin 1.22 makes) gets the
  // offer's back where the m-line was accepted, and only there.
  GstSDPMessage *answer = sdp(kHead +
                              "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n"
                              "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:1\r\n"
                              "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\n");
  g_assert_cmpuint(answer_twcc(offer, answer), ==, 1);
  g_assert_cmpint(twcc_extmap_id(gst_sdp_message_get_media(answer, 0)), ==, 3);
  g_assert_cmpint(twcc_extmap_id(gst_sdp_message_get_media(answer, 2)), ==, 0);
  g_assert_cmpuint(answer_twcc(offer, answer), ==, 0);  // never twice
  // Ids outside 1..14 and other URIs are not TWCC.
  GstSDPMessage *odd = sdp(kHead +
                           "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=extmap:15 "
                           "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
                           "a=extmap:x http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
                           "a=extmap:2/sendonly http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01x\r\n");
  g_assert_cmpint(twcc_extmap_id(gst_sdp_message_get_media(odd, 0)), ==, 0);
  gst_sdp_message_free(odd);
  gst_sdp_message_free(answer);
  gst_sdp_message_free(offer);
}

GstStructure *entry(guint seq, guint64 local, guint64 remote, guint size, gboolean lost) {
  return gst_structure_new("RTPTWCCPacket", "seqnum", G_TYPE_UINT, seq, "local-ts", G_TYPE_UINT64, local,
                           "remote-ts", G_TYPE_UINT64, remote, "size", G_TYPE_UINT, size, "lost", G_TYPE_BOOLEAN,
                           lost, nullptr);
}

// The event as GStreamer 1.22's rtpstats.c builds it: a GValueArray of
// structures under "packets".
GstEvent *twcc_event(guint n, bool with_junk) {
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray *array = g_value_array_new(n);
  for (guint i = 0; i < n; i++) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed(&v, entry(i, 1000 + i, i % 3 ? 2000 + i : GST_CLOCK_TIME_NONE, 1200, i % 3 == 0));
    g_value_array_append(array, &v);
    g_value_unset(&v);
    if (with_junk) {
      GValue j = G_VALUE_INIT;
      g_value_init(&j, G_TYPE_STRING);
      g_value_set_string(&j, "junk");
      g_value_array_append(array, &j);
      g_value_unset(&j);
      GValue big = G_VALUE_INIT;
      g_value_init(&big, GST_TYPE_STRUCTURE);
      g_value_take_boxed(&big, entry(70000, 1, 1, 1, FALSE));  // not a 16-bit sequence number
      g_value_array_append(array, &big);
      g_value_unset(&big);
    }
  }
  GstStructure *s = gst_structure_new_empty("RTPTWCCPackets");
  GValue av = G_VALUE_INIT;
  g_value_init(&av, G_TYPE_VALUE_ARRAY);
  g_value_take_boxed(&av, array);
  gst_structure_take_value(s, "packets", &av);
  G_GNUC_END_IGNORE_DEPRECATIONS
  return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s);
}

void test_read_twcc_event() {
  GstEvent *e = twcc_event(6, false);
  g_assert_true(is_twcc_event(e));
  uint32_t skipped = 0;
  auto packets = twcc_packets(e, 4096, &skipped);
  g_assert_cmpuint(packets.size(), ==, 6);
  g_assert_cmpuint(skipped, ==, 0);
  g_assert_true(packets[0].lost);
  g_assert_true(packets[0].remote_ts_ns == TwccPacket::kNoTime);
  g_assert_false(packets[1].lost);
  g_assert_cmpuint(packets[1].seqnum, ==, 1);
  g_assert_cmpuint(packets[1].local_ts_ns, ==, 1001);
  g_assert_cmpuint(packets[1].remote_ts_ns, ==, 2001);
  g_assert_cmpuint(packets[1].size, ==, 1200);
  gst_event_unref(e);
  // Bounded, and what is not an entry is skipped.
  e = twcc_event(100, true);
  skipped = 0;
  packets = twcc_packets(e, 50, &skipped);
  g_assert_cmpuint(packets.size(), ==, 50);
  g_assert_cmpuint(skipped, >=, 250);
  gst_event_unref(e);
  // Another event is not TWCC.
  e = gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty("GstForceKeyUnit"));
  g_assert_false(is_twcc_event(e));
  skipped = 0;
  g_assert_true(twcc_packets(e, 10, &skipped).empty());
  gst_event_unref(e);
}

void test_caps_extmap() {
  GstCaps *caps = gst_caps_from_string("application/x-rtp, payload=(int)96; application/x-rtp, payload=(int)97");
  add_twcc_extmap(caps, 3);
  for (guint i = 0; i < gst_caps_get_size(caps); i++)
    UNIT_ASSERT_STR_EQ(std::string(gst_structure_get_string(gst_caps_get_structure(caps, i), "extmap-3")), kTwccUri);
  gst_caps_unref(caps);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/video-layers/parse", test_parse_ladder);
  g_test_add_func("/video-layers/refuse-bad", test_refuse_bad_ladders);
  g_test_add_func("/twcc/extmap-in-sdp", test_extmap_in_sdp);
  g_test_add_func("/twcc/caps-extmap", test_caps_extmap);
  g_test_add_func("/twcc/read-event", test_read_twcc_event);
  return g_test_run();
}
