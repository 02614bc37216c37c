// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Test helper: runs a gst-launch style pipeline and reports what a test
// needs as JSON lines on stdout: the URLs served, bus errors, warnings,
// element messages, EOS. Element messages named "webrtclive..." carry their
// structure as a string and, in "fields", every field whose value is a
// string, a number or a boolean.
//
// Commands on stdin: "encoders" (counts encoder elements inside every
// webrtclivesink), "stats", "counts", "quit".
// Elements named "count..." get a probe on their sink pad: "counts" reports
// how many buffers each saw and its current caps, and the frame timing a
// test asserts on, in wall-clock ms since the Unix epoch (comparable with a
// test's Date.now() on the same machine): "first" and "last" (the first and
// the latest buffer), "max_gap_ms" (the longest time between two buffers
// since the first), "gaps" (the last 200 gaps of 100 ms or more, each
// [start, ms]), "sizes" (every caps change, [at, width, height]; 0 x 0 for
// caps without a size; the last 200) and "per_second" (buffers per
// wall-clock second, [second, n], for the last 600 seconds that had any;
// a second missing from it had none).
// Elements named "nav..."
// count the navigation events that reach their src pad from downstream;
// "trim" returns free heap pages to the system (malloc_trim), "quarks"
// counts GQuarks; elements named "fku..." count the force-key-unit events that reach their
// src pad from downstream. "set ELEMENT PROPERTY VALUE" sets a property of
// a named element while the pipeline runs (e.g. a valve's drop, to pause a
// source), VALUE parsed as gst-launch would; "get ELEMENT PROPERTY" reads
// one ("value", as gst-launch would write it). "emit ELEMENT SIGNAL ARG..."
// emits an action signal of a named element (webrtclivesink's set-layer,
// remove-consumer), each ARG converted to the signal's parameter type
// (strings, "null" for a NULL string, integers, booleans, doubles); the
// reply "emit" has ok and, for a signal that returns a value, "return" (as
// text). A description with any parse
// error, even one GStreamer calls recoverable (an unknown property), is
// refused with exit 1.
#include <gio/gio.h>
#include <gst/gst.h>

#include <algorithm>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include <malloc.h>

#include "frame-timing.h"

using live_runner::Timing;
using live_runner::report_timing;

#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

GstElement *pipeline = nullptr;
GMainLoop *loop = nullptr;

struct Counter {
  std::string name;
  GstPad *pad;
  std::atomic<guint64> buffers{0};
};
std::vector<Counter *> counters;

std::map<Counter *, Timing *> timings;  // of the "count..." elements; filled before PLAYING

void emit(JsonBuilder *b) {
  JsonNode *root = json_builder_get_root(b);
  gchar *s = json_to_string(root, FALSE);
  printf("%s\n", s);
  fflush(stdout);
  g_free(s);
  json_node_unref(root);
  g_object_unref(b);
}

JsonBuilder *begin(const char *event) {
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "event");
  json_builder_add_string_value(b, event);
  return b;
}

void member(JsonBuilder *b, const char *k, const char *v) {
  json_builder_set_member_name(b, k);
  json_builder_add_string_value(b, v ? v : "");
}

void finish(JsonBuilder *b) {
  json_builder_end_object(b);
  emit(b);
}

GstElement *find_sink() {
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(pipeline));
  GValue v = G_VALUE_INIT;
  GstElement *found = nullptr;
  while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT(g_value_get_object(&v));
    GstElementFactory *f = gst_element_get_factory(e);
    if (f && (g_str_equal(GST_OBJECT_NAME(f), "webrtclivesink") || g_str_equal(GST_OBJECT_NAME(f), "webrtclivesrc")))
      found = GST_ELEMENT(gst_object_ref(e));
    g_value_reset(&v);
    if (found) break;
  }
  g_value_unset(&v);
  gst_iterator_free(it);
  return found;
}

void report_urls() {
  GstElement *sink = find_sink();
  if (!sink) return;
  gchar **urls = nullptr;  // webrtclivesrc with a remote server: empty
  g_object_get(sink, "urls", &urls, nullptr);
  JsonBuilder *b = begin("urls");
  json_builder_set_member_name(b, "urls");
  json_builder_begin_array(b);
  for (gchar **u = urls; u && *u; u++) json_builder_add_string_value(b, *u);
  json_builder_end_array(b);
  finish(b);
  g_strfreev(urls);
  gst_object_unref(sink);
}

void count_encoders() {
  GstElement *sink = find_sink();
  int count = 0;
  if (sink) {
    GstIterator *it = gst_bin_iterate_recurse(GST_BIN(sink));
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
      GstElement *e = GST_ELEMENT(g_value_get_object(&v));
      GstElementFactory *f = gst_element_get_factory(e);
      const gchar *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : nullptr;
      // Media encoders only: webrtcbin holds DTLS/SRTP "encoders" too.
      if (klass && (strstr(klass, "Encoder/Video") || strstr(klass, "Encoder/Audio"))) count++;
      g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(it);
    gst_object_unref(sink);
  }
  JsonBuilder *b = begin("encoders");
  json_builder_set_member_name(b, "count");
  json_builder_add_int_value(b, count);
  finish(b);
}

// "klass SUBSTRING": how many elements of the whole pipeline have a factory
// klass containing SUBSTRING (e.g. "Decoder/Video"), and their factories.
void count_klass(const char *what) {
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(pipeline));
  GValue v = G_VALUE_INIT;
  std::vector<std::string> factories;
  while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
    GstElementFactory *f = gst_element_get_factory(GST_ELEMENT(g_value_get_object(&v)));
    const gchar *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : nullptr;
    if (klass && strstr(klass, what)) factories.emplace_back(GST_OBJECT_NAME(f));
    g_value_reset(&v);
  }
  g_value_unset(&v);
  gst_iterator_free(it);
  JsonBuilder *b = begin("klass");
  member(b, "klass", what);
  json_builder_set_member_name(b, "count");
  json_builder_add_int_value(b, static_cast<gint64>(factories.size()));
  json_builder_set_member_name(b, "factories");
  json_builder_begin_array(b);
  for (const auto &name : factories) json_builder_add_string_value(b, name.c_str());
  json_builder_end_array(b);
  finish(b);
}

void report_stats() {
  GstElement *sink = find_sink();
  if (!sink) return;
  GstStructure *s = nullptr;
  g_object_get(sink, "stats", &s, nullptr);
  gchar *str = gst_structure_to_string(s);
  JsonBuilder *b = begin("stats");
  member(b, "stats", str);
  finish(b);
  g_free(str);
  gst_structure_free(s);
  gst_object_unref(sink);
}

GstPadProbeReturn count_navigation(GstPad *, GstPadProbeInfo *info, gpointer d) {
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_NAVIGATION) static_cast<Counter *>(d)->buffers++;
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn count_force_key_unit(GstPad *, GstPadProbeInfo *info, gpointer d) {
  if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) static_cast<Counter *>(d)->buffers++;
  return GST_PAD_PROBE_OK;
}

// data-received of the elements that have it (webrtclivesink, webrtclivesrc):
// one line per message, written from the main loop.
struct DataMsg {
  std::string src, consumer, label, payload;
  gsize size;
  bool text;
};

gboolean report_data(gpointer d) {
  auto *msg = static_cast<DataMsg *>(d);
  JsonBuilder *b = begin("data-received");
  member(b, "src", msg->src.c_str());
  member(b, "consumer", msg->consumer.c_str());
  member(b, "label", msg->label.c_str());
  member(b, msg->text ? "text" : "hex", msg->payload.c_str());
  json_builder_set_member_name(b, "size");
  json_builder_add_int_value(b, msg->size);
  finish(b);
  return G_SOURCE_REMOVE;
}

void on_data_received(GstElement *el, const gchar *consumer, const gchar *label, GBytes *data, gboolean text,
                      gpointer) {
  gsize n = 0;
  auto *p = static_cast<const guint8 *>(g_bytes_get_data(data, &n));
  std::string payload;
  if (text) {
    payload.assign(reinterpret_cast<const char *>(p), std::min<gsize>(n, 200));
  } else {
    static const char hexdigits[] = "0123456789abcdef";
    for (gsize i = 0; i < std::min<gsize>(n, 16); i++) {
      payload += hexdigits[p[i] >> 4];
      payload += hexdigits[p[i] & 15];
    }
  }
  auto *m = new DataMsg{GST_OBJECT_NAME(el), consumer ? consumer : "", label ? label : "", payload, n, text != 0};
  g_idle_add_full(G_PRIORITY_DEFAULT, report_data, m, [](gpointer d) { delete static_cast<DataMsg *>(d); });
}

void watch_data(GstElement *e) {
  if (g_signal_lookup("data-received", G_OBJECT_TYPE(e)))
    g_signal_connect(e, "data-received", G_CALLBACK(on_data_received), nullptr);
}

// "pushseq NAME PREFIX N MS": PREFIX-0 ... PREFIX-(N-1) into appsrc NAME,
// one every MS milliseconds (from the main loop), then a "pushed" event.
struct PushSeq {
  GstElement *appsrc;
  std::string prefix;
  unsigned next = 0, count = 0;
};

gboolean push_next(gpointer data) {
  auto *seq = static_cast<PushSeq *>(data);
  std::string text = seq->prefix + "-" + std::to_string(seq->next++);
  GstBuffer *buf = gst_buffer_new_memdup(text.data(), text.size());
  GstFlowReturn ret;
  g_signal_emit_by_name(seq->appsrc, "push-buffer", buf, &ret);
  gst_buffer_unref(buf);
  if (seq->next < seq->count) return G_SOURCE_CONTINUE;
  JsonBuilder *b = begin("pushed");
  member(b, "last", text.c_str());
  finish(b);
  gst_object_unref(seq->appsrc);
  delete seq;
  return G_SOURCE_REMOVE;
}

// "push NAME TEXT": one text buffer into appsrc NAME; "pushbin NAME SIZE":
// SIZE bytes 0, 1, 2, ...; "send ELEMENT CONSUMER LABEL TEXT": ELEMENT's
// send-string action (CONSUMER "*" = all).
void data_command(const char *line) {
  gchar **w = g_strsplit(line, " ", 5);
  const guint n = g_strv_length(w);
  bool ok = false;
  GstElement *e = n > 1 ? gst_bin_get_by_name(GST_BIN(pipeline), w[1]) : nullptr;
  if (e && g_str_equal(w[0], "push") && n >= 3) {
    const char *text = line + strlen("push ") + strlen(w[1]) + 1;
    GstBuffer *buf = gst_buffer_new_memdup(text, strlen(text));
    GstFlowReturn ret;
    g_signal_emit_by_name(e, "push-buffer", buf, &ret);
    gst_buffer_unref(buf);
    ok = ret == GST_FLOW_OK;
  } else if (e && g_str_equal(w[0], "pushbin") && n >= 3) {
    const gsize size = g_ascii_strtoull(w[2], nullptr, 10);
    GstBuffer *buf = gst_buffer_new_allocate(nullptr, size, nullptr);
    GstMapInfo map;
    gst_buffer_map(buf, &map, GST_MAP_WRITE);
    for (gsize i = 0; i < size; i++) map.data[i] = guint8(i);
    gst_buffer_unmap(buf, &map);
    GstFlowReturn ret;
    g_signal_emit_by_name(e, "push-buffer", buf, &ret);
    gst_buffer_unref(buf);
    ok = ret == GST_FLOW_OK;
  } else if (e && g_str_equal(w[0], "pushseq") && n >= 5) {
    auto *seq = new PushSeq{GST_ELEMENT(gst_object_ref(e)), w[2], 0, unsigned(g_ascii_strtoull(w[3], nullptr, 10))};
    g_timeout_add(std::max<guint>(1, g_ascii_strtoull(w[4], nullptr, 10)), push_next, seq);
    ok = seq->count > 0;
  } else if (e && g_str_equal(w[0], "send") && n >= 5) {
    gboolean sent = FALSE;
    g_signal_emit_by_name(e, "send-string", g_str_equal(w[2], "*") ? nullptr : w[2], w[3], w[4], &sent);
    ok = sent;
  }
  if (e) gst_object_unref(e);
  JsonBuilder *b = begin(w[0]);
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, ok);
  finish(b);
  g_strfreev(w);
}

// "set ELEMENT PROPERTY VALUE": a "set" event with ok false when there is
// no such element or property.
void set_property(const char *line) {
  gchar **w = g_strsplit(line, " ", 4);
  bool ok = false;
  if (g_strv_length(w) == 4) {
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), w[1]);
    if (e && g_object_class_find_property(G_OBJECT_GET_CLASS(e), w[2])) {
      gst_util_set_object_arg(G_OBJECT(e), w[2], w[3]);
      ok = true;
    }
    if (e) gst_object_unref(e);
  }
  JsonBuilder *b = begin("set");
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, ok);
  finish(b);
  g_strfreev(w);
}

// "get ELEMENT PROPERTY": a "get" event with the property's value as
// gst-launch would write it ("value"), ok false when there is no such
// element or property.
void get_property(const char *line) {
  gchar **w = g_strsplit(line, " ", 3);
  bool ok = false;
  std::string text;
  GstElement *e = g_strv_length(w) == 3 ? gst_bin_get_by_name(GST_BIN(pipeline), w[1]) : nullptr;
  GParamSpec *spec = e ? g_object_class_find_property(G_OBJECT_GET_CLASS(e), w[2]) : nullptr;
  if (spec) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, spec->value_type);
    g_object_get_property(G_OBJECT(e), w[2], &v);
    gchar *str = gst_value_serialize(&v);
    ok = str != nullptr;
    text = str ? str : "";
    g_free(str);
    g_value_unset(&v);
  }
  if (e) gst_object_unref(e);
  JsonBuilder *b = begin("get");
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, ok);
  member(b, "value", text.c_str());
  finish(b);
  g_strfreev(w);
}

// "emit ELEMENT SIGNAL ARG...": an action signal of a named element, its
// arguments converted from text to the signal's parameter types.
void emit_signal(const char *line) {
  gchar **w = g_strsplit(line, " ", -1);
  const guint n = g_strv_length(w);
  bool ok = false;
  std::string ret_text;
  GstElement *e = n >= 3 ? gst_bin_get_by_name(GST_BIN(pipeline), w[1]) : nullptr;
  GSignalQuery q{};
  if (e) g_signal_query(g_signal_lookup(w[2], G_OBJECT_TYPE(e)), &q);
  if (e && q.signal_id && q.n_params == n - 3) {
    std::vector<GValue> args(q.n_params + 1, G_VALUE_INIT);
    g_value_init(&args[0], G_OBJECT_TYPE(e));
    g_value_set_object(&args[0], e);
    ok = true;
    for (guint i = 0; i < q.n_params && ok; i++) {
      const GType t = q.param_types[i] & ~G_SIGNAL_TYPE_STATIC_SCOPE;
      const char *text = w[3 + i];
      g_value_init(&args[i + 1], t);
      if (t == G_TYPE_STRING)
        g_value_set_string(&args[i + 1], g_str_equal(text, "null") ? nullptr : text);
      else
        ok = gst_value_deserialize(&args[i + 1], text);
    }
    GValue ret = G_VALUE_INIT;
    const GType rt = q.return_type & ~G_SIGNAL_TYPE_STATIC_SCOPE;
    if (ok) {
      if (rt != G_TYPE_NONE) g_value_init(&ret, rt);
      g_signal_emitv(args.data(), q.signal_id, 0, &ret);
      if (rt != G_TYPE_NONE) {
        gchar *str = gst_value_serialize(&ret);
        ret_text = str ? str : "";
        g_free(str);
        g_value_unset(&ret);
      }
    }
    for (auto &v : args)
      if (G_IS_VALUE(&v)) g_value_unset(&v);
  }
  if (e) gst_object_unref(e);
  JsonBuilder *b = begin("emit");
  member(b, "signal", n >= 3 ? w[2] : "");
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, ok);
  if (ok && (q.return_type & ~G_SIGNAL_TYPE_STATIC_SCOPE) != G_TYPE_NONE) member(b, "return", ret_text.c_str());
  finish(b);
  g_strfreev(w);
}

// A structure's string, number and boolean fields as a JSON object.
void fields_member(JsonBuilder *b, const GstStructure *s) {
  json_builder_set_member_name(b, "fields");
  json_builder_begin_object(b);
  gst_structure_foreach(
      s,
      [](GQuark id, const GValue *v, gpointer d) -> gboolean {
        auto *jb = static_cast<JsonBuilder *>(d);
        const GType t = G_VALUE_TYPE(v);
        GValue as = G_VALUE_INIT;
        if (t == G_TYPE_STRING) {
          json_builder_set_member_name(jb, g_quark_to_string(id));
          json_builder_add_string_value(jb, g_value_get_string(v) ? g_value_get_string(v) : "");
        } else if (t == G_TYPE_BOOLEAN) {
          json_builder_set_member_name(jb, g_quark_to_string(id));
          json_builder_add_boolean_value(jb, g_value_get_boolean(v));
        } else if (t == G_TYPE_DOUBLE || t == G_TYPE_FLOAT) {
          g_value_init(&as, G_TYPE_DOUBLE);
          g_value_transform(v, &as);
          json_builder_set_member_name(jb, g_quark_to_string(id));
          json_builder_add_double_value(jb, g_value_get_double(&as));
        } else if (g_value_type_transformable(t, G_TYPE_INT64) && G_TYPE_IS_FUNDAMENTAL(t) && t != G_TYPE_POINTER) {
          g_value_init(&as, t == G_TYPE_UINT64 ? G_TYPE_UINT64 : G_TYPE_INT64);
          g_value_transform(v, &as);
          json_builder_set_member_name(jb, g_quark_to_string(id));
          json_builder_add_int_value(jb, t == G_TYPE_UINT64 ? gint64(g_value_get_uint64(&as)) : g_value_get_int64(&as));
        }
        if (G_IS_VALUE(&as)) g_value_unset(&as);
        return TRUE;
      },
      b);
  json_builder_end_object(b);
}

void attach_counters() {
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(pipeline));
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT(g_value_get_object(&v));
    watch_data(e);
    // Upstream events of one kind, counted at the src pad.
    const bool nav = g_str_has_prefix(GST_OBJECT_NAME(e), "nav");
    if (nav || g_str_has_prefix(GST_OBJECT_NAME(e), "fku")) {
      auto *c = new Counter{GST_OBJECT_NAME(e), gst_element_get_static_pad(e, "src")};
      if (c->pad) {
        gst_pad_add_probe(c->pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, nav ? count_navigation : count_force_key_unit, c,
                          nullptr);
        counters.push_back(c);
      }
    }
    if (g_str_has_prefix(GST_OBJECT_NAME(e), "count")) {
      auto *c = new Counter{GST_OBJECT_NAME(e), gst_element_get_static_pad(e, "sink")};
      if (c->pad) {
        gst_pad_add_probe(c->pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                          [](GstPad *, GstPadProbeInfo *info, gpointer d) {
                            auto *cc = static_cast<Counter *>(d);
                            const guint n = (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
                                                ? gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info))
                                                : 1;
                            cc->buffers += n;
                            timings.at(cc)->buffer(n);
                            return GST_PAD_PROBE_OK;
                          },
                          c, nullptr);
        gst_pad_add_probe(c->pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                          [](GstPad *, GstPadProbeInfo *info, gpointer d) {
                            GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
                            if (GST_EVENT_TYPE(ev) == GST_EVENT_CAPS) {
                              GstCaps *caps = nullptr;
                              gst_event_parse_caps(ev, &caps);
                              timings.at(static_cast<Counter *>(d))->caps(caps);
                            }
                            return GST_PAD_PROBE_OK;
                          },
                          c, nullptr);
        timings[c] = new Timing;
        counters.push_back(c);
      }
    }
    g_value_reset(&v);
  }
  g_value_unset(&v);
  gst_iterator_free(it);
}

void report_counts() {
  JsonBuilder *b = begin("counts");
  json_builder_set_member_name(b, "counts");
  json_builder_begin_object(b);
  for (auto *c : counters) {
    json_builder_set_member_name(b, c->name.c_str());
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "buffers");
    json_builder_add_int_value(b, c->buffers);
    GstCaps *caps = gst_pad_get_current_caps(c->pad);
    gchar *str = caps ? gst_caps_to_string(caps) : nullptr;
    member(b, "caps", str);
    g_free(str);
    if (caps) gst_caps_unref(caps);
    if (auto it = timings.find(c); it != timings.end()) report_timing(b, *it->second);
    json_builder_end_object(b);
  }
  json_builder_end_object(b);
  finish(b);
}

gboolean on_bus(GstBus *, GstMessage *msg, gpointer) {
  const char *src = GST_MESSAGE_SRC(msg) ? GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)) : "";
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_INFO: {
      GError *err = nullptr;
      gchar *dbg = nullptr;
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR)
        gst_message_parse_error(msg, &err, &dbg);
      else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING)
        gst_message_parse_warning(msg, &err, &dbg);
      else
        gst_message_parse_info(msg, &err, &dbg);
      JsonBuilder *b = begin(GST_MESSAGE_TYPE_NAME(msg));
      member(b, "src", src);
      member(b, "message", err ? err->message : "");
      member(b, "debug", dbg);
      finish(b);
      if (err) g_error_free(err);
      g_free(dbg);
      break;
    }
    case GST_MESSAGE_ELEMENT: {
      const GstStructure *s = gst_message_get_structure(msg);
      if (s && gst_structure_has_name(s, "level")) {
        // level's RMS of the first channel, in dB (an audio test measures
        // how long a pad carried sound).
        const GValue *rms = gst_structure_get_value(s, "rms");
        G_GNUC_BEGIN_IGNORE_DEPRECATIONS
        if (rms && G_VALUE_HOLDS_BOXED(rms) && g_value_get_boxed(rms)) {
          auto *arr = static_cast<GValueArray *>(g_value_get_boxed(rms));
          if (arr->n_values > 0) {
            JsonBuilder *b = begin("level");
            member(b, "src", src);
            json_builder_set_member_name(b, "rms");
            json_builder_add_double_value(b, g_value_get_double(g_value_array_get_nth(arr, 0)));
            finish(b);
          }
        }
        G_GNUC_END_IGNORE_DEPRECATIONS
        break;
      }
      if (!s || !g_str_has_prefix(gst_structure_get_name(s), "webrtclive")) break;
      gchar *str = gst_structure_to_string(s);
      JsonBuilder *b = begin(gst_structure_get_name(s));
      member(b, "src", src);
      member(b, "structure", str);
      for (const char *k : {"peer-id", "session-id", "reason"})
        if (const char *v = gst_structure_get_string(s, k)) member(b, k, v);
      fields_member(b, s);
      finish(b);
      g_free(str);
      break;
    }
    case GST_MESSAGE_EOS:
      finish(begin("eos"));
      break;
    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC(msg) == GST_OBJECT(pipeline)) {
        GstState old_s, new_s;
        gst_message_parse_state_changed(msg, &old_s, &new_s, nullptr);
        JsonBuilder *b = begin("state");
        member(b, "state", gst_element_state_get_name(new_s));
        finish(b);
      }
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_stdin(GIOChannel *ch, GIOCondition cond, gpointer) {
  gchar *line = nullptr;
  gsize len = 0;
  GIOStatus st = g_io_channel_read_line(ch, &line, &len, nullptr, nullptr);
  if (st == G_IO_STATUS_EOF || (cond & G_IO_HUP)) {
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
  }
  if (!line) return G_SOURCE_CONTINUE;
  g_strstrip(line);
  if (g_str_equal(line, "encoders")) count_encoders();
  else if (g_str_equal(line, "stats")) report_stats();
  else if (g_str_equal(line, "urls")) report_urls();
  else if (g_str_equal(line, "counts")) report_counts();
  else if (g_str_has_prefix(line, "klass ")) count_klass(line + 6);
  else if (g_str_has_prefix(line, "push ") || g_str_has_prefix(line, "pushbin ") || g_str_has_prefix(line, "pushseq ") ||
           g_str_has_prefix(line, "send "))
    data_command(line);
  else if (g_str_has_prefix(line, "set ")) set_property(line);
  else if (g_str_has_prefix(line, "emit ")) emit_signal(line);
  else if (g_str_has_prefix(line, "get ")) get_property(line);
  else if (g_str_equal(line, "quit")) g_main_loop_quit(loop);
  else if (g_str_equal(line, "trim")) {
    // Hands free heap pages back to the system, so that RSS shows what is
    // kept, not what malloc holds on to (sink-churn).
    malloc_trim(0);
    finish(begin("trimmed"));
  } else if (g_str_equal(line, "quarks")) {
    // GQuarks are never freed: a count that grows per session is a leak.
    guint n = 1;
    while (g_quark_to_string(n)) n++;
    JsonBuilder *b = begin("quarks");
    json_builder_set_member_name(b, "count");
    json_builder_add_int_value(b, n - 1);
    gchar *last = g_strdup(g_quark_to_string(n - 1));
    member(b, "last", last);
    g_free(last);
    finish(b);
  }
  g_free(line);
  return G_SOURCE_CONTINUE;
}

}  // namespace

// Leading "--set-uri=NAME=URI" arguments: before PLAYING, the URI handler
// of element NAME gets URI (as playbin would give a source its URI), so a
// test can combine a URI with properties a URI cannot carry (ca-file).
bool set_uris(const std::vector<std::string> &specs) {
  for (const auto &spec : specs) {
    const auto eq = spec.find('=');
    GstElement *e = eq == std::string::npos ? nullptr : gst_bin_get_by_name(GST_BIN(pipeline), spec.substr(0, eq).c_str());
    GError *err = nullptr;
    const bool ok = e && GST_IS_URI_HANDLER(e) && gst_uri_handler_set_uri(GST_URI_HANDLER(e), spec.c_str() + eq + 1, &err);
    if (!ok) {
      JsonBuilder *b = begin("parse-error");
      member(b, "message", err ? err->message : ("no URI handler for --set-uri=" + spec).c_str());
      finish(b);
    }
    g_clear_error(&err);
    if (e) gst_object_unref(e);
    if (!ok) return false;
  }
  return true;
}

int main(int argc, char **argv) {
  std::vector<std::string> uris;
  while (argc > 1 && g_str_has_prefix(argv[1], "--set-uri=")) {
    uris.emplace_back(argv[1] + strlen("--set-uri="));
    argv[1] = argv[0];
    argv++;
    argc--;
  }
  gst_init(&argc, &argv);
  if (argc < 2) {
    fprintf(stderr, "usage: %s PIPELINE-DESCRIPTION...\n", argv[0]);
    return 2;
  }
  GError *err = nullptr;
  // Like gst-launch-1.0, refuse a description GStreamer could only partly
  // understand: a "recoverable" error (an unknown property, a value that
  // does not convert) still yields a pipeline, missing what the test asked.
  pipeline = gst_parse_launchv_full(const_cast<const gchar **>(argv + 1), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!pipeline || err) {
    JsonBuilder *b = begin("parse-error");
    member(b, "message", err ? err->message : "?");
    finish(b);
    fprintf(stderr, "live-runner: erroneous pipeline: %s\n", err ? err->message : "?");
    if (pipeline) gst_object_unref(pipeline);
    g_clear_error(&err);
    return 1;
  }
  if (!set_uris(uris)) {
    gst_object_unref(pipeline);
    return 1;
  }
  loop = g_main_loop_new(nullptr, FALSE);
  attach_counters();
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_add_watch(bus, on_bus, nullptr);
  GIOChannel *in = g_io_channel_unix_new(0);
  g_io_add_watch(in, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP), on_stdin, nullptr);
  GstStateChangeReturn r = gst_element_set_state(pipeline, GST_STATE_PLAYING);
  // Flush bus messages posted during the state change first.
  while (g_main_context_iteration(nullptr, FALSE)) {}
  if (r == GST_STATE_CHANGE_FAILURE) {
    finish(begin("start-failed"));
  } else {
    report_urls();
    finish(begin("started"));
  }
  g_main_loop_run(loop);
  g_io_channel_unref(in);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  finish(begin("stopped"));
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return 0;
}
