// SPDX-License-Identifier: LGPL-2.1-or-later
#include "consumer-chain.h"

#include <atomic>
#include <vector>

namespace webrtclive {

namespace {

// Owned by the isolating pad (object data), reached through element_private.
struct Isolation {
  std::function<void(const std::string &)> on_failure;
  std::atomic<bool> reported{false};
  // Holding (stream lock of the pad): until *verified, the buffers since the
  // last keyframe; `open` once they went.
  std::shared_ptr<const std::atomic<bool>> verified;
  bool open = false;
  std::vector<GstBuffer *> held;

  ~Isolation() { drop_held(); }
  void report(const std::string &what) {
    if (reported.exchange(true) || !on_failure) return;
    on_failure(what);
  }
  void drop_held() {
    for (GstBuffer *b : held) gst_buffer_unref(b);
    held.clear();
  }
  // Takes `buf`: kept (a keyframe starts over, a delta joins a kept GOP
  // while it stays short) or dropped.
  void hold(GstBuffer *buf) {
    const bool key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    if (key) drop_held();
    if (held.empty() && !key) {
      gst_buffer_unref(buf);
      return;
    }
    GstClockTime first = GST_BUFFER_PTS(held.empty() ? buf : held.front()), pts = GST_BUFFER_PTS(buf);
    if (held.size() >= ConsumerChain::kHoldBuffers ||
        (GST_CLOCK_TIME_IS_VALID(first) && GST_CLOCK_TIME_IS_VALID(pts) && pts > first &&
         pts - first > ConsumerChain::kHoldTime)) {
      drop_held();
      gst_buffer_unref(buf);
      return;
    }
    held.push_back(buf);
  }
  static Isolation *of(GstPad *pad) { return static_cast<Isolation *>(gst_pad_get_element_private(pad)); }
};

GstFlowReturn forward(GstPad *pad, GstObject *parent, GstBuffer *buf) {
  GstFlowReturn ret = gst_proxy_pad_chain_default(pad, parent, buf);
  if (ret < GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
    Isolation::of(pad)->report(std::string("its stream failed: ") + gst_flow_get_name(ret));
  return GST_FLOW_OK;
}

// False while the consumer is not verified (then `buf` is held or dropped);
// true once it is, after what was held went first.
bool let_through(GstPad *pad, GstObject *parent, Isolation *iso, GstBuffer *buf) {
  if (iso->open || !iso->verified) return true;
  if (!iso->verified->load()) {
    iso->hold(buf);
    return false;
  }
  iso->open = true;
  std::vector<GstBuffer *> held;
  held.swap(iso->held);
  for (GstBuffer *b : held) forward(pad, parent, b);
  return true;
}

GstPadProbeReturn answer_any_rtp_caps(GstPad *, GstPadProbeInfo *info) {
  GstQuery *q = GST_PAD_PROBE_INFO_QUERY(info);
  if (GST_QUERY_TYPE(q) == GST_QUERY_ACCEPT_CAPS) {
    gst_query_set_accept_caps_result(q, TRUE);
    return GST_PAD_PROBE_HANDLED;
  }
  if (GST_QUERY_TYPE(q) == GST_QUERY_CAPS) {
    GstCaps *filter = nullptr;
    gst_query_parse_caps(q, &filter);
    CapsPtr any(gst_caps_from_string("application/x-rtp"));
    CapsPtr result(filter ? gst_caps_intersect(any.get(), filter) : gst_caps_ref(any.get()));
    gst_query_set_caps_result(q, result.get());
    return GST_PAD_PROBE_HANDLED;
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace

// A tee returns a branch's fatal flow to the shared encoder and would stop
// every other consumer with it: so whatever goes wrong behind this pad (a
// refused caps event, a payloader error, a flushing webrtcbin) is reported
// once, ends that consumer, and is answered with OK.
GstPad *make_isolating_pad(GstElement *bin, GstPad *target, const std::string &name,
                           std::function<void(const std::string &what)> on_failure,
                           std::shared_ptr<const std::atomic<bool>> verified) {
  GstPad *ghost = gst_ghost_pad_new(name.c_str(), target);
  auto *iso = new Isolation{std::move(on_failure)};
  iso->verified = std::move(verified);
  g_object_set_data_full(G_OBJECT(ghost), "webrtclive-isolation", iso, [](gpointer d) {
    delete static_cast<Isolation *>(d);
  });
  gst_pad_set_element_private(ghost, iso);
  gst_pad_set_chain_function(ghost, [](GstPad *pad, GstObject *parent, GstBuffer *buf) -> GstFlowReturn {
    if (!let_through(pad, parent, Isolation::of(pad), buf)) return GST_FLOW_OK;
    return forward(pad, parent, buf);
  });
  gst_pad_set_chain_list_function(ghost, [](GstPad *pad, GstObject *parent, GstBufferList *list) -> GstFlowReturn {
    Isolation *iso = Isolation::of(pad);
    if (!iso->open && iso->verified) {
      // Rare (tees push buffers): one buffer at a time through the holding.
      for (guint i = 0; i < gst_buffer_list_length(list); i++) {
        GstBuffer *b = gst_buffer_ref(gst_buffer_list_get(list, i));
        if (let_through(pad, parent, iso, b)) forward(pad, parent, b);
      }
      gst_buffer_list_unref(list);
      return GST_FLOW_OK;
    }
    GstFlowReturn ret = gst_proxy_pad_chain_list_default(pad, parent, list);
    if (ret < GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
      iso->report(std::string("its stream failed: ") + gst_flow_get_name(ret));
    return GST_FLOW_OK;
  });
  gst_pad_set_event_function(ghost, [](GstPad *pad, GstObject *parent, GstEvent *event) -> gboolean {
    bool sticky = GST_EVENT_IS_STICKY(event);
    const char *type = GST_EVENT_TYPE_NAME(event);
    gboolean ok = gst_pad_event_default(pad, parent, event);
    if (!ok && sticky && GST_PAD_IS_ACTIVE(pad)) {
      Isolation::of(pad)->report(std::string("it refused the ") + type + " event");
      return TRUE;
    }
    return ok || sticky;
  });
  // Serialized queries would travel into the consumer's webrtcbin, and the
  // tee asks every branch (and the shared encoder waits): a consumer that
  // is slow or gone would hold them all. Each new consumer makes the encoder
  // re-negotiate and ask for allocation, so answer those here: a payloader
  // needs no pool from us.
  gst_pad_set_query_function(ghost, [](GstPad *pad, GstObject *parent, GstQuery *query) -> gboolean {
    if (GST_QUERY_IS_SERIALIZED(query)) return GST_QUERY_TYPE(query) == GST_QUERY_ALLOCATION;
    return gst_pad_query_default(pad, parent, query);
  });
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(bin, ghost);
  return ghost;
}

std::unique_ptr<ConsumerChain> ConsumerChain::build(const Config &cfg, std::string *error) {
  const CodecInfo &info = codec_info(cfg.codec.codec);
  GstElement *pay = gst_element_factory_make(info.payloader, nullptr);
  if (!pay) {
    *error = std::string("element '") + info.payloader + "' is missing";
    return nullptr;
  }
  configure_payloader(cfg.codec, pay, cfg.ssrc);
  std::unique_ptr<ConsumerChain> chain(new ConsumerChain);
  chain->pay_ = GRef<GstElement>::ref(pay);
  GstBin *bin = GST_BIN(cfg.bin);
  gst_bin_add(bin, pay);
  // webrtcbin 1.22 checks the caps it receives against the transceiver's
  // codec preferences, comparing fmtp strings literally: a stream whose SPS
  // says 42c015 is refused against an offered 42e01f, although both are
  // constrained baseline. The m-line is negotiated by now, so the payloader
  // may produce what it likes and a capssetter restates the offered
  // profile-level-id (see docs/webrtcbin-notes.md).
  {
    GRef<GstPad> pay_src = GRef<GstPad>::adopt(gst_element_get_static_pad(pay, "src"));
    add_probe_fn(pay_src.get(), GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, answer_any_rtp_caps);
  }
  GstElement *last = pay;
  GstElement *setter = nullptr;
  if (CapsPtr set = payloader_caps_override(cfg.codec); set && (setter = gst_element_factory_make("capssetter", nullptr))) {
    g_object_set(setter, "caps", set.get(), "join", TRUE, "replace", FALSE, nullptr);
    chain->setter_ = GRef<GstElement>::ref(setter);
    gst_bin_add(bin, setter);
    gst_element_link(pay, setter);
    last = setter;
  }
  GRef<GstPad> last_src = GRef<GstPad>::adopt(gst_element_get_static_pad(last, "src"));
  if (gst_pad_link(last_src.get(), cfg.webrtc_pad) != GST_PAD_LINK_OK) {
    *error = "could not link the payloader to webrtcbin";
    return nullptr;
  }
  chain->pay_sink_ = GRef<GstPad>::adopt(gst_element_get_static_pad(pay, "sink"));
  if (setter) gst_element_sync_state_with_parent(setter);
  gst_element_sync_state_with_parent(pay);
  GstPad *ghost = make_isolating_pad(cfg.bin, chain->pay_sink_.get(), "sink_" + std::to_string(cfg.mline),
                                     cfg.on_failure, cfg.verified);
  chain->ghost_ = GRef<GstPad>::ref(ghost);
  return chain;
}

}  // namespace webrtclive
