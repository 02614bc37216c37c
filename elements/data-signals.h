// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The data-channel signals webrtclivesink and webrtclivesrc share:
//   send-data   (action)  gboolean (gchararray consumer_id, gchararray label, GBytes *data)
//   send-string (action)  gboolean (gchararray consumer_id, gchararray label, gchararray text)
//   data-received         void     (gchararray consumer_id, gchararray label, GBytes *data, gboolean is_text)
// consumer_id: a consumer's peer id on the sink (NULL = every consumer); on
// the src it is ignored in actions and is the producer's peer id in
// data-received. The action handlers return TRUE when the message was
// handed to at least one open channel with that label.
#pragma once

#include <gst/gst.h>

#include <string>

namespace webrtclive {

using DataSendFn = bool (*)(GstElement *element, const char *consumer_id, const char *label, GBytes *data, bool text);

// Installs the three signals on `klass`, the actions calling `send`;
// returns the id of data-received.
guint install_data_signals(GObjectClass *klass, DataSendFn send);

}  // namespace webrtclive
