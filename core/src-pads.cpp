// SPDX-License-Identifier: LGPL-2.1-or-later
//
// SrcCore's media pads (private to core/src-*.cpp).
//
// One producer at a time: video_%u / audio_%u, kept across sessions.
// producers=all: video_<key>_%u / audio_<key>_%u per producer (key = its peer
// id, pad-name safe), and when the producer leaves:
//   EOS on each of its pads → unlink → a mixer's request pad is released
//   (GstAggregator: compositor, audiomixer) → the pad is removed
// so a compositor drops the tile and a recorder's stream ends cleanly.
//
// Linking a new producer's pads: pad-added lets gst-launch or the
// application link it. gst-launch links a sometimes pad once, so in a
// one-line room (`webrtclivesrc producers=all ! compositor`) only the first
// producer's pad would be linked; a pad still unlinked after pad-added is
// therefore linked to a new request pad of the element that took the
// earlier pads of its kind (decision 75). Compositor pads are laid out as a
// grid of equal cells on layout-width × layout-height, in order of arrival.
#include <gst/base/gstaggregator.h>

#include <algorithm>
#include <cmath>

#include "src-core.h"
#include "src-link.h"

GST_DEBUG_CATEGORY_EXTERN(webrtclivesrc_debug);
#define GST_CAT_DEFAULT webrtclivesrc_debug

namespace webrtclive {

namespace {

int kind_index(MediaKind kind) { return kind == MediaKind::Video ? 0 : 1; }

bool has_properties(GObject *o, std::initializer_list<const char *> names) {
  for (auto *n : names)
    if (!g_object_class_find_property(G_OBJECT_GET_CLASS(o), n)) return false;
  return true;
}

// The element owning `peer` when it made that pad on request (a mixer or a
// muxer): later producers' pads of the same kind go there too. A new ref.
GstElement *request_owner(GstPad *peer) {
  GstElement *owner = nullptr;
  GstPadTemplate *templ = gst_pad_get_pad_template(peer);
  if (templ && GST_PAD_TEMPLATE_PRESENCE(templ) == GST_PAD_REQUEST) owner = gst_pad_get_parent_element(peer);
  if (templ) gst_object_unref(templ);
  return owner;
}

}  // namespace

GstPad *SrcCore::ghost_for(const Link &link, MediaKind kind, unsigned index) {
  const bool all = settings().all_producers;
  const char *k = kind == MediaKind::Video ? "video" : "audio";
  std::string name = all ? std::string(k) + "_" + link.key + "_" + std::to_string(index)
                         : std::string(k) + "_" + std::to_string(index);
  {
    std::lock_guard lock(mutex_);
    auto it = pads_.find(name);
    if (it != pads_.end()) return it->second;
  }
  std::string templ_name = std::string(k) + (all ? "_%s_%u" : "_%u");
  GstPadTemplate *templ = gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(element_), templ_name.c_str());
  GstPad *ghost = gst_ghost_pad_new_no_target_from_template(name.c_str(), templ);
  // A pad nobody linked drops its buffers: an unlinked audio pad must not
  // fail the producer's session with not-linked.
  gst_pad_add_probe(
      ghost, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *pad, GstPadProbeInfo *, gpointer) {
        return gst_pad_is_linked(pad) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
      },
      nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    pads_[name] = ghost;
  }
  gst_pad_set_active(ghost, TRUE);
  // gst-launch links sometimes pads from this call, so the pad's peer is
  // known right after it.
  gst_element_add_pad(element_, ghost);
  if (all) {
    if (!gst_pad_is_linked(ghost) && link_to_mixer(ghost, kind))
      GST_INFO_OBJECT(element_, "%s: linked to the mixer of the earlier %s pads", name.c_str(), k);
    if (GstPad *peer = gst_pad_get_peer(ghost)) {
      if (GstElement *mixer = request_owner(peer)) {
        std::lock_guard lock(mutex_);
        g_weak_ref_set(&mixers_[kind_index(kind)], mixer);
        gst_object_unref(mixer);
      }
      gst_object_unref(peer);
    }
  }
  return ghost;
}

bool SrcCore::link_to_mixer(GstPad *ghost, MediaKind kind) {
  GstElement *mixer;
  {
    std::lock_guard lock(mutex_);
    mixer = static_cast<GstElement *>(g_weak_ref_get(&mixers_[kind_index(kind)]));
  }
  if (!mixer) return false;
  bool linked = false;
  if (GstPad *sink = gst_element_get_compatible_pad(mixer, ghost, nullptr)) {
    linked = gst_pad_link(ghost, sink) == GST_PAD_LINK_OK;
    GstElement *owner = linked ? nullptr : request_owner(sink);
    if (owner) {  // one we asked for: give it back
      gst_element_release_request_pad(owner, sink);
      gst_object_unref(owner);
    }
    gst_object_unref(sink);
  }
  if (!linked)
    GST_ELEMENT_WARNING(element_, CORE, NEGOTIATION,
                        ("Could not link %s to %s; its buffers are dropped.", GST_PAD_NAME(ghost),
                         GST_OBJECT_NAME(mixer)),
                        (nullptr));
  gst_object_unref(mixer);
  return linked;
}

// The producer's name reaches downstream once per session, before its first
// buffer: a stream tag (title) and a sticky "webrtclive-producer" event.
void SrcCore::tag_first_buffer(const Link &link, GstPad *ghost) {
  struct Who {
    std::string peer, name;
  };
  gst_pad_add_probe(
      ghost, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad *pad, GstPadProbeInfo *, gpointer data) {
        auto *who = static_cast<Who *>(data);
        if (!who->name.empty()) {
          GstTagList *tags = gst_tag_list_new(GST_TAG_TITLE, who->name.c_str(), nullptr);
          gst_tag_list_set_scope(tags, GST_TAG_SCOPE_STREAM);
          gst_pad_push_event(pad, gst_event_new_tag(tags));
        }
        gst_pad_push_event(pad, gst_event_new_custom(
                                    GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
                                    gst_structure_new("webrtclive-producer", "peer-id", G_TYPE_STRING,
                                                      who->peer.c_str(), "name", G_TYPE_STRING, who->name.c_str(),
                                                      nullptr)));
        return GST_PAD_PROBE_REMOVE;  // the buffer goes on
      },
      new Who{link.producer, link.name}, [](gpointer data) { delete static_cast<Who *>(data); });
}

// The call_async pool, after the producer's elements stopped.
void SrcCore::end_pads(const Link &link, const std::vector<GstPad *> &ghosts) {
  for (GstPad *ghost : ghosts) {
    gst_pad_push_event(ghost, gst_event_new_eos());
    if (GstPad *peer = gst_pad_get_peer(ghost)) {
      GstElement *owner = request_owner(peer);
      gst_pad_unlink(ghost, peer);
      // A mixer forgets the input (its tile, its mix); a muxer's request
      // pad is left to the application (many cannot release while running).
      if (owner && GST_IS_AGGREGATOR(owner)) gst_element_release_request_pad(owner, peer);
      if (owner) gst_object_unref(owner);
      gst_object_unref(peer);
    }
    {
      std::lock_guard lock(mutex_);
      for (auto it = pads_.begin(); it != pads_.end(); ++it)
        if (it->second == ghost) {
          pads_.erase(it);
          break;
        }
    }
    gst_pad_set_active(ghost, FALSE);
    gst_element_remove_pad(element_, ghost);
  }
  GST_INFO_OBJECT(element_, "producer %s (%s): %zu pad(s) ended and removed", link.producer.c_str(),
                  link.name.c_str(), ghosts.size());
  lay_out();
}

// Compositor pads (xpos, ypos, width, height) of the producers' video, as
// a grid: n tiles in ceil(sqrt(n)) columns, in order of arrival.
void SrcCore::lay_out() {
  SrcSettings s = settings();
  if (!s.all_producers || !s.grid_layout) return;
  std::lock_guard serial(layout_mutex_);
  std::vector<std::pair<unsigned, GstPad *>> video;
  {
    std::lock_guard lock(mutex_);
    for (auto &[sid, l] : links_)
      for (GstPad *g : l->ghosts)
        if (g_str_has_prefix(GST_PAD_NAME(g), "video_")) video.emplace_back(l->seq, GST_PAD(gst_object_ref(g)));
  }
  std::stable_sort(video.begin(), video.end(), [](auto &a, auto &b) { return a.first < b.first; });
  std::vector<GstPad *> tiles;
  for (auto &[seq, g] : video) {
    GstPad *peer = gst_pad_get_peer(g);
    if (peer && has_properties(G_OBJECT(peer), {"xpos", "ypos", "width", "height"}))
      tiles.push_back(peer);
    else if (peer)
      gst_object_unref(peer);
    gst_object_unref(g);
  }
  const unsigned n = tiles.size();
  if (n == 0) return;
  const unsigned cols = static_cast<unsigned>(std::ceil(std::sqrt(static_cast<double>(n))));
  const unsigned rows = (n + cols - 1) / cols;
  const int w = static_cast<int>(s.layout_width / cols), h = static_cast<int>(s.layout_height / rows);
  for (unsigned i = 0; i < n; i++) {
    GstPad *p = tiles[i];
    g_object_set(p, "xpos", static_cast<int>(i % cols) * w, "ypos", static_cast<int>(i / cols) * h, "width", w,
                 "height", h, nullptr);
    if (has_properties(G_OBJECT(p), {"sizing-policy"}))
      gst_util_set_object_arg(G_OBJECT(p), "sizing-policy", "keep-aspect-ratio");
    gst_object_unref(p);
  }
  GST_DEBUG_OBJECT(element_, "laid out %u tile(s) in %u x %u cells of %dx%d", n, cols, rows, w, h);
}

}  // namespace webrtclive
