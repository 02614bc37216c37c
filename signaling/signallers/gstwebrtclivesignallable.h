// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GstWebRTCLiveSignallable: signalling as a GObject interface, so
// applications can bring their own. The element calls the methods; the
// signaller emits the signals, from any thread (the element marshals them).
//
// Producer role (webrtclivesink): start() registers a producer with the
// element's meta; a consumer asking for a session arrives as
// `session-requested`, its answer as `session-description`.
// Consumer role (webrtclivesrc, webrtclivesignaller role=consumer): start()
// gets the consumer's meta; the signaller finds a producer by its own means
// (its properties say which), and emits `session-started (session_id,
// peer_id)` once a session exists; the producer's offer follows as
// `session-description`, its candidates as `handle-ice`; the element sends
// its answer with send_sdp() and its candidates with send_ice(). One session
// at a time; `session-ended` when the producer ends it.
//
// Built-in implementations (all registered by the plugin):
//  - GstWebRTCLiveEmbeddedSignaller: the embedded server (page + WebSocket).
//  - GstWebRTCLiveWsSignaller: a WebSocket client to any compatible server,
//    reconnecting with backoff.
//  - GstWebRTCLiveAppSignaller: every method becomes a signal of the same
//    name that the application handles, so a signaller can be written in any
//    language through GObject signals alone (see examples/custom-signaller.py).
// The elements do not go through the interface for the first two: the
// factories of signaller-factory.h build the C++ protocol driver straight
// from their properties.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WEBRTC_LIVE_SIGNALLABLE (gst_webrtc_live_signallable_get_type())
G_DECLARE_INTERFACE(GstWebRTCLiveSignallable, gst_webrtc_live_signallable, GST, WEBRTC_LIVE_SIGNALLABLE, GObject)

struct _GstWebRTCLiveSignallableInterface {
  GTypeInterface parent_iface;

  // Register (as a producer, or as a consumer: see above) with `meta_json`
  // (a JSON object, e.g. {"name":"cam"}) and start delivering sessions.
  // FALSE + error on failure (the element's state change then fails with
  // that message).
  gboolean (*start)(GstWebRTCLiveSignallable *self, const gchar *meta_json, GError **error);
  void (*stop)(GstWebRTCLiveSignallable *self);
  // `type` is "offer" or "answer".
  void (*send_sdp)(GstWebRTCLiveSignallable *self, const gchar *session_id, const gchar *type, const gchar *sdp);
  void (*send_ice)(GstWebRTCLiveSignallable *self, const gchar *session_id, guint mline, const gchar *candidate);
  void (*end_session)(GstWebRTCLiveSignallable *self, const gchar *session_id, const gchar *reason);
  // Optional: URLs users can open (NULL-terminated, free with g_strfreev).
  gchar **(*get_urls)(GstWebRTCLiveSignallable *self);
};

gboolean gst_webrtc_live_signallable_start(GstWebRTCLiveSignallable *self, const gchar *meta_json, GError **error);
void gst_webrtc_live_signallable_stop(GstWebRTCLiveSignallable *self);
void gst_webrtc_live_signallable_send_sdp(GstWebRTCLiveSignallable *self, const gchar *session_id, const gchar *type,
                                          const gchar *sdp);
void gst_webrtc_live_signallable_send_ice(GstWebRTCLiveSignallable *self, const gchar *session_id, guint mline,
                                          const gchar *candidate);
void gst_webrtc_live_signallable_end_session(GstWebRTCLiveSignallable *self, const gchar *session_id,
                                             const gchar *reason);
gchar **gst_webrtc_live_signallable_get_urls(GstWebRTCLiveSignallable *self);

#define GST_TYPE_WEBRTC_LIVE_EMBEDDED_SIGNALLER (gst_webrtc_live_embedded_signaller_get_type())
G_DECLARE_FINAL_TYPE(GstWebRTCLiveEmbeddedSignaller, gst_webrtc_live_embedded_signaller, GST,
                     WEBRTC_LIVE_EMBEDDED_SIGNALLER, GstObject)

#define GST_TYPE_WEBRTC_LIVE_WS_SIGNALLER (gst_webrtc_live_ws_signaller_get_type())
G_DECLARE_FINAL_TYPE(GstWebRTCLiveWsSignaller, gst_webrtc_live_ws_signaller, GST, WEBRTC_LIVE_WS_SIGNALLER,
                     GstObject)

#define GST_TYPE_WEBRTC_LIVE_APP_SIGNALLER (gst_webrtc_live_app_signaller_get_type())
G_DECLARE_FINAL_TYPE(GstWebRTCLiveAppSignaller, gst_webrtc_live_app_signaller, GST, WEBRTC_LIVE_APP_SIGNALLER,
                     GstObject)

G_END_DECLS
