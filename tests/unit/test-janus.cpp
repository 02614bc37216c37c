// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The pure parts of Janus VideoRoom signalling (signaling/janus-api.h):
// janus:// URLs, the requests we send (compared as JSON values) and what we
// read of Janus's replies and events, hostile ones included.
#include <glib.h>

#include <string>

#include "janus-api.h"
#include "unit-helpers.h"

using namespace webrtclive;
using namespace webrtclive::janus;

namespace {

Target target(const std::string &url) {
  std::string why;
  auto t = parse_url(url, &why);
  if (!t) unit::fail(__FILE__, __LINE__, G_STRFUNC, "refused " + url + ": " + why);
  return t.value_or(Target{});
}

std::string refusal(const std::string &url) {
  std::string why;
  auto t = parse_url(url, &why);
  if (t) unit::fail(__FILE__, __LINE__, G_STRFUNC, "accepted " + url);
  return why;
}

}  // namespace

static void test_url() {
  g_assert_true(is_janus_url("janus://h/?room=1"));
  g_assert_true(is_janus_url("JANUSS://h/?room=1"));
  g_assert_false(is_janus_url("ws://h/"));

  Target t = target("janus://127.0.0.1:8188/?room=1234&display=cam%201&pin=p%26n&videocodec=VP8,%20h264&audiocodec=opus");
  UNIT_ASSERT_STR_EQ(t.ws_url, "ws://127.0.0.1:8188/");
  UNIT_ASSERT_STR_EQ(t.room, "1234");
  g_assert_true(t.room_is_number);
  UNIT_ASSERT_STR_EQ(t.display, "cam 1");
  UNIT_ASSERT_STR_EQ(t.pin, "p&n");
  g_assert_cmpuint(t.video_codecs.size(), ==, 2);
  UNIT_ASSERT_STR_EQ(t.video_codecs[0], "vp8");
  UNIT_ASSERT_STR_EQ(t.video_codecs[1], "h264");
  g_assert_cmpuint(t.audio_codecs.size(), ==, 1);

  Target s = target("januss://janus.example/janus?room=lobby&token=abc");
  UNIT_ASSERT_STR_EQ(s.ws_url, "wss://janus.example/janus");
  UNIT_ASSERT_STR_EQ(s.room, "lobby");
  g_assert_false(s.room_is_number);
  UNIT_ASSERT_STR_EQ(s.token, "abc");
  g_assert_true(s.video_codecs.empty());

  UNIT_ASSERT_CONTAINS(refusal("janus://h:8188/"), "room");
  UNIT_ASSERT_CONTAINS(refusal("janus://h:8188/?room="), "room");
  UNIT_ASSERT_CONTAINS(refusal("janus://h:8188/?room=0"), "between 1");
  UNIT_ASSERT_CONTAINS(refusal("janus://h:8188/?room=99999999999999999999"), "between 1");
  UNIT_ASSERT_CONTAINS(refusal("janus://h/?room=a%0Ab"), "one line");
  UNIT_ASSERT_CONTAINS(refusal("janus:///?room=1"), "host");
  UNIT_ASSERT_CONTAINS(refusal("http://h/?room=1"), "janus://");
  UNIT_ASSERT_CONTAINS(refusal("janus://h/?room=1&display=" + std::string(kMaxDisplayChars + 1, 'd')), "display");
  // Secrets bounded, and never repeated in the reason.
  std::string why = refusal("janus://h/?room=1&pin=" + std::string(kMaxSecretChars + 1, 'S'));
  UNIT_ASSERT_CONTAINS(why, "pin");
  g_assert_true(why.find("SSSS") == std::string::npos);
  why = refusal("janus://user:hunter2@h/?room=1");
  g_assert_true(why.find("hunter2") == std::string::npos);

  // A subscriber's part: feed= (a display name or an id). How many at once
  // is the element's (producers=all), not the URL's.
  Target f = target("janus://h/?room=1&feed=front%20cam");
  UNIT_ASSERT_STR_EQ(f.feed, "front cam");
  UNIT_ASSERT_CONTAINS(refusal("janus://h/?room=1&feed=a%0Ab"), "feed");
  UNIT_ASSERT_CONTAINS(refusal("janus://h/?room=1&feed=" + std::string(kMaxDisplayChars + 1, 'f')), "feed");
  // A display name cut on a UTF-8 boundary.
  std::string name = display_name(std::string(kMaxDisplayChars - 1, 'a') + "\xc3\xa9");
  g_assert_cmpuint(name.size(), ==, kMaxDisplayChars - 1);
}

static void test_requests() {
  Target t = target("janus://h/?room=1234&pin=secret&token=tok");
  UNIT_ASSERT_JSON_SAME(create_request(t, "a"), R"({"janus":"create","transaction":"a"})");
  UNIT_ASSERT_JSON_SAME(attach_request(t, "b", 42, "janus.plugin.videoroom"),
                        R"({"janus":"attach","transaction":"b","session_id":42,"plugin":"janus.plugin.videoroom"})");
  UNIT_ASSERT_JSON_SAME(join_publisher_request(t, "c", 42, 7, "cam"),
                        R"({"janus":"message","transaction":"c","session_id":42,"handle_id":7,
                            "body":{"request":"join","ptype":"publisher","room":1234,"display":"cam",
                                    "pin":"secret","token":"tok"}})");
  UNIT_ASSERT_JSON_SAME(publish_request(t, "d", 42, 7, protocol::Sdp{"offer", "v=0\r\n"}),
                        R"({"janus":"message","transaction":"d","session_id":42,"handle_id":7,
                            "body":{"request":"publish"},"jsep":{"type":"offer","sdp":"v=0\r\n"}})");
  protocol::Ice ice{"candidate:1 1 UDP 2015363327 198.18.0.1 40000 typ host", 1};
  UNIT_ASSERT_JSON_SAME(trickle_request(t, "e", 42, 7, &ice, "audio1"),
                        R"({"janus":"trickle","transaction":"e","session_id":42,"handle_id":7,
                            "candidate":{"candidate":"candidate:1 1 UDP 2015363327 198.18.0.1 40000 typ host",
                                         "sdpMLineIndex":1,"sdpMid":"audio1"}})");
  UNIT_ASSERT_JSON_SAME(trickle_request(t, "f", 42, 7, nullptr, {}),
                        R"({"janus":"trickle","transaction":"f","session_id":42,"handle_id":7,
                            "candidate":{"completed":true}})");
  UNIT_ASSERT_JSON_SAME(keepalive_request(t, "g", 42), R"({"janus":"keepalive","transaction":"g","session_id":42})");
  UNIT_ASSERT_JSON_SAME(destroy_request(t, "h", 42), R"({"janus":"destroy","transaction":"h","session_id":42})");
  UNIT_ASSERT_JSON_SAME(leave_request(t, "i", 42, 7),
                        R"({"janus":"message","transaction":"i","session_id":42,"handle_id":7,
                            "body":{"request":"leave"}})");

  // A string room id (string_ids), no display; an API secret in every request.
  Target s = target("janus://h/?room=lobby&apisecret=k");
  UNIT_ASSERT_JSON_SAME(join_publisher_request(s, "c", 1, 2, ""),
                        R"({"janus":"message","transaction":"c","apisecret":"k","session_id":1,"handle_id":2,
                            "body":{"request":"join","ptype":"publisher","room":"lobby"}})");
  UNIT_ASSERT_JSON_SAME(keepalive_request(s, "g", 1),
                        R"({"janus":"keepalive","transaction":"g","apisecret":"k","session_id":1})");

  // A subscriber: every stream of one feed, no automatic renegotiation.
  UNIT_ASSERT_JSON_SAME(join_subscriber_request(t, "j", 42, 8, Id{"4063970846077982", true}, 77),
                        R"({"janus":"message","transaction":"j","session_id":42,"handle_id":8,
                            "body":{"request":"join","ptype":"subscriber","room":1234,
                                    "streams":[{"feed":4063970846077982}],"autoupdate":false,
                                    "private_id":77,"pin":"secret","token":"tok"}})");
  UNIT_ASSERT_JSON_SAME(join_subscriber_request(s, "j", 1, 8, Id{"alice", false}, 0),
                        R"({"janus":"message","transaction":"j","apisecret":"k","session_id":1,"handle_id":8,
                            "body":{"request":"join","ptype":"subscriber","room":"lobby",
                                    "streams":[{"feed":"alice"}],"autoupdate":false}})");
  UNIT_ASSERT_JSON_SAME(start_request(t, "k", 42, 8, protocol::Sdp{"answer", "v=0\r\n"}),
                        R"({"janus":"message","transaction":"k","session_id":42,"handle_id":8,
                            "body":{"request":"start"},"jsep":{"type":"answer","sdp":"v=0\r\n"}})");
  UNIT_ASSERT_JSON_SAME(detach_request(t, "l", 42, 8), R"({"janus":"detach","transaction":"l","session_id":42,"handle_id":8})");
}

static void test_mids() {
  auto mids = mids_of("v=0\r\nm=video 9 X 96\r\na=mid:video0\r\nm=audio 9 X 111\r\nm=application 9 X\r\na=mid:2\r\n");
  g_assert_cmpuint(mids.size(), ==, 3);
  UNIT_ASSERT_STR_EQ(mids[0], "video0");
  UNIT_ASSERT_STR_EQ(mids[1], "");
  UNIT_ASSERT_STR_EQ(mids[2], "2");
  g_assert_cmpuint(mids_of("v=0\r\na=mid:x\r\n").size(), ==, 0);
}

static void test_replies() {
  std::string why;
  auto m = parse_message(R"({"janus":"success","transaction":"a","data":{"id":5531271887048282}})", &why);
  g_assert_true(m.has_value());
  UNIT_ASSERT_STR_EQ(m->janus, "success");
  UNIT_ASSERT_STR_EQ(m->transaction, "a");
  g_assert_cmpuint(m->data_id, ==, 5531271887048282ull);

  m = parse_message(R"({"janus":"event","session_id":1,"sender":7,"transaction":"c",
      "plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"joined","room":1234,"id":99,
      "publishers":[]}}})", &why);
  g_assert_true(m.has_value());
  UNIT_ASSERT_STR_EQ(m->videoroom, "joined");
  g_assert_cmpuint(m->sender, ==, 7);
  g_assert_cmpint(m->error_code, ==, 0);

  m = parse_message(R"j({"janus":"event","sender":7,"transaction":"c","plugindata":{"plugin":"janus.plugin.videoroom",
      "data":{"videoroom":"event","error_code":426,"error":"No such room (1234)"}}})j", &why);
  g_assert_true(m.has_value());
  g_assert_cmpint(m->error_code, ==, 426);
  UNIT_ASSERT_STR_EQ(m->error, "No such room (1234)");
  Target t = target("janus://h/?room=1234&pin=secret");
  std::string said = describe_error(m->error_code, m->error, t);
  UNIT_ASSERT_CONTAINS(said, "no such room 1234");
  UNIT_ASSERT_CONTAINS(said, "426");
  said = describe_error(433, "Unauthorized (wrong pin)", t);
  UNIT_ASSERT_CONTAINS(said, "wrong pin");
  g_assert_true(said.find("secret") == std::string::npos);
  UNIT_ASSERT_CONTAINS(describe_error(433, "", target("janus://h/?room=9")), "add pin=");

  m = parse_message(R"({"janus":"event","sender":7,"transaction":"d","plugindata":{"plugin":"janus.plugin.videoroom",
      "data":{"videoroom":"event","configured":"ok"}},"jsep":{"type":"answer","sdp":"v=0\r\n"}})", &why);
  g_assert_true(m.has_value());
  g_assert_true(m->configured);
  g_assert_true(m->jsep.has_value());
  UNIT_ASSERT_STR_EQ(m->jsep->type, "answer");

  m = parse_message(R"({"janus":"error","transaction":"b","error":{"code":458,"reason":"No such session 1"}})", &why);
  g_assert_true(m.has_value());
  g_assert_cmpint(m->error_code, ==, 458);

  m = parse_message(R"({"janus":"hangup","session_id":1,"sender":7,"reason":"DTLS\nalert"})", &why);
  g_assert_true(m.has_value());
  UNIT_ASSERT_STR_EQ(m->reason, "DTLS alert");  // one printable line
}

static void test_room_events() {
  std::string why;
  auto m = parse_message(R"({"janus":"event","session_id":1,"sender":7,"transaction":"c",
      "plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"joined","room":1234,"id":99,
      "private_id":1234567,"publishers":[{"id":4063970846077982,"display":"cam","streams":[]},
      {"id":12,"display":"two\nlines"},{"id":13,"dummy":true},{"display":"no id"},{"id":0},"x"]}}})", &why);
  g_assert_true(m.has_value());
  UNIT_ASSERT_STR_EQ(m->id.text, "99");
  g_assert_true(m->id.number);
  g_assert_cmpuint(m->private_id, ==, 1234567);
  g_assert_cmpuint(m->publishers.size(), ==, 2);  // the dummy skipped; three unreadable
  UNIT_ASSERT_STR_EQ(m->publishers[0].id.text, "4063970846077982");
  UNIT_ASSERT_STR_EQ(m->publishers[0].display, "cam");
  UNIT_ASSERT_STR_EQ(m->publishers[1].display, "two lines");
  g_assert_cmpuint(m->publishers_dropped, ==, 3);

  m = parse_message(R"({"janus":"event","session_id":1,"sender":7,"plugindata":{"plugin":"janus.plugin.videoroom",
      "data":{"videoroom":"event","room":1234,"unpublished":12}}})", &why);
  UNIT_ASSERT_STR_EQ(m->unpublished.text, "12");
  g_assert_true(m->leaving.empty());
  m = parse_message(R"({"janus":"event","sender":7,"plugindata":{"data":{"videoroom":"event","leaving":"ok"}}})", &why);
  g_assert_true(m->leaving.empty());  // our own leave's reply, not someone leaving
  m = parse_message(R"({"janus":"event","sender":7,"plugindata":{"data":{"videoroom":"event","kicked":"bob"}}})", &why);
  UNIT_ASSERT_STR_EQ(m->leaving.text, "bob");  // string_ids
  g_assert_false(m->leaving.number);
  m = parse_message(R"({"janus":"event","sender":7,"plugindata":{"data":{"videoroom":"event","started":"ok"}}})", &why);
  g_assert_true(m->started);

  // Janus's candidates.
  m = parse_message(R"({"janus":"trickle","session_id":1,"sender":8,"candidate":{"sdpMid":"0","sdpMLineIndex":1,
      "candidate":"candidate:1 1 udp 1 198.18.0.1 4000 typ host"}})", &why);
  g_assert_true(m->candidate.has_value());
  g_assert_cmpint(m->candidate->mline, ==, 1);
  UNIT_ASSERT_STR_EQ(m->candidate->mid, "0");
  m = parse_message(R"({"janus":"trickle","sender":8,"candidate":{"completed":true}})", &why);
  g_assert_true(m->candidate && m->candidate->completed);
  for (const char *bad : {R"({"janus":"trickle","candidate":{"candidate":"c"}})",
                          R"({"janus":"trickle","candidate":{"candidate":5,"sdpMLineIndex":0}})",
                          R"({"janus":"trickle","candidate":{"candidate":"c","sdpMLineIndex":-1}})"}) {
    m = parse_message(bad, &why);
    g_assert_true(m.has_value());
    g_assert_false(m->candidate.has_value());
  }
  m = parse_message(R"({"janus":"trickle","candidate":{"sdpMLineIndex":0,"candidate":")" + std::string(2000, 'c') +
                        R"("}})", &why);
  g_assert_false(m->candidate.has_value());
  UNIT_ASSERT_CONTAINS(describe_error(428, "No such feed (1)", target("janus://h/?room=9")), "no such feed");
}

static void test_hostile_replies() {
  std::string why;
  for (const char *bad : {"", "not json", "[1,2]", "42", R"({"transaction":"a"})", R"({"janus":5})",
                          R"({"janus":"event","jsep":{"type":"pranswer","sdp":"v=0"}})",
                          R"({"janus":"event","jsep":{"type":"answer"}})", R"({"janus":"event","jsep":"v=0"})"}) {
    why.clear();
    g_assert_false(parse_message(bad, &why).has_value());
    g_assert_false(why.empty());
  }
  // A list of 10000 publishers: kMaxPublishers read, the rest counted.
  std::string list;
  for (int i = 1; i <= 10000; i++) list += (list.empty() ? "" : ",") + std::string(R"({"id":)") + std::to_string(i) + "}";
  auto many = parse_message(R"({"janus":"event","plugindata":{"data":{"videoroom":"event","publishers":[)" + list + "]}}}",
                            &why);
  g_assert_cmpuint(many->publishers.size(), ==, kMaxPublishers);
  g_assert_cmpuint(many->publishers_dropped, ==, 10000 - kMaxPublishers);
  // String ids: printable, no spaces, at most kMaxIdChars.
  many = parse_message(R"({"janus":"event","plugindata":{"data":{"publishers":[{"id":"a b"},{"id":")" +
                           std::string(kMaxIdChars + 1, 'i') + R"("},{"id":"ok-id"}]}}})",
                       &why);
  g_assert_cmpuint(many->publishers.size(), ==, 1);
  UNIT_ASSERT_STR_EQ(many->publishers[0].id.text, "ok-id");
  // Ids that are not positive integers below 2^53 read as none; a huge
  // error text is cut; an odd error code is no code.
  auto m = parse_message(R"({"janus":"success","transaction":"a","data":{"id":-4},"session_id":"7",
      "sender":18014398509481984})", &why);
  g_assert_true(m.has_value());
  g_assert_cmpuint(m->data_id, ==, 0);
  g_assert_cmpuint(m->session_id, ==, 0);
  g_assert_cmpuint(m->sender, ==, 0);
  std::string huge(100000, 'x');
  m = parse_message(R"({"janus":"error","error":{"code":1e9,"reason":")" + huge + R"("}})", &why);
  g_assert_true(m.has_value());
  g_assert_cmpint(m->error_code, ==, 0);
  g_assert_cmpuint(m->error.size(), <=, 210);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, nullptr);
  g_test_add_func("/janus/url", test_url);
  g_test_add_func("/janus/requests", test_requests);
  g_test_add_func("/janus/mids", test_mids);
  g_test_add_func("/janus/replies", test_replies);
  g_test_add_func("/janus/room-events", test_room_events);
  g_test_add_func("/janus/hostile-replies", test_hostile_replies);
  return g_test_run();
}
