// SPDX-License-Identifier: LGPL-2.1-or-later
#include "consumer-chain.h"

#include <atomic>

namespace webrtclive {

namespace {

constexpr GstClockTime kConsumerQueueTime = 500 * GST_MSECOND;

// Owned by the isolating pad (object data), reached through element_private.
struct Isolation {
  std::function<void(const std::string &)> on_failure;
  std::atomic<bool> reported{false};
  void report(const std::string &what) {
    if (reported.exchange(true) || !on_failure) return;
    on_failure(what);
  }
  static Isolation *of(GstPad *pad) { return static_cast<Isolation *>(gst_pad_get_element_private(pad)); }
};

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
                           std::function<void(const std::string &what)> on_failure) {
  GstPad *ghost = gst_ghost_pad_new(name.c_str(), target);
  auto *iso = new Isolation{std::move(on_failure)};
  g_object_set_data_full(G_OBJECT(ghost), "webrtclive-isolation", iso, [](gpointer d) {
    delete static_cast<Isolation *>(d);
  });
  gst_pad_set_element_private(ghost, iso);
  gst_pad_set_chain_function(ghost, [](GstPad *pad, GstObject *parent, GstBuffer *buf) -> GstFlowReturn {
    GstFlowReturn ret = gst_proxy_pad_chain_default(pad, parent, buf);
    if (ret < GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
      Isolation::of(pad)->report(std::string("its stream failed: ") + gst_flow_get_name(ret));
    return GST_FLOW_OK;
  });
  gst_pad_set_chain_list_function(ghost, [](GstPad *pad, GstObject *parent, GstBufferList *list) -> GstFlowReturn {
    GstFlowReturn ret = gst_proxy_pad_chain_list_default(pad, parent, list);
    if (ret < GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
      Isolation::of(pad)->report(std::string("its stream failed: ") + gst_flow_get_name(ret));
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
  // Serialized queries wait in the queue until everything before them left
  // it; a consumer whose webrtcbin holds its data (no DTLS yet) would hold
  // the query, and the tee, which asks every branch, and the shared encoder
  // with it. Each new consumer makes the encoder re-negotiate and ask for
  // allocation, so answer those here: a payloader needs no pool from us.
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
  GstElement *queue = gst_element_factory_make("queue", nullptr);
  g_object_set(queue, "leaky", 2 /* downstream */, "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time",
               kConsumerQueueTime, nullptr);
  GstElement *pay = gst_element_factory_make(info.payloader, nullptr);
  if (!pay) {
    gst_object_unref(queue);
    *error = std::string("element '") + info.payloader + "' is missing";
    return nullptr;
  }
  configure_payloader(cfg.codec, pay, cfg.ssrc);
  std::unique_ptr<ConsumerChain> chain(new ConsumerChain);
  chain->queue_ = GRef<GstElement>::ref(queue);
  chain->pay_ = GRef<GstElement>::ref(pay);
  GstBin *bin = GST_BIN(cfg.bin);
  gst_bin_add_many(bin, queue, pay, nullptr);
  gst_element_link(queue, pay);
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
  chain->queue_sink_ = GRef<GstPad>::adopt(gst_element_get_static_pad(queue, "sink"));
  chain->queue_src_ = GRef<GstPad>::adopt(gst_element_get_static_pad(queue, "src"));
  if (setter) gst_element_sync_state_with_parent(setter);
  gst_element_sync_state_with_parent(pay);
  gst_element_sync_state_with_parent(queue);
  GstPad *ghost = make_isolating_pad(cfg.bin, chain->queue_sink_.get(), "sink_" + std::to_string(cfg.mline),
                                     cfg.on_failure);
  chain->ghost_ = GRef<GstPad>::ref(ghost);
  return chain;
}

}  // namespace webrtclive
