// SPDX-License-Identifier: LGPL-2.1-or-later
#include "counting-input.h"

namespace webrtclive {
namespace {

struct CountingInput {
  GFilterInputStream parent;
  std::shared_ptr<ReadBudget> *budget;
};
struct CountingInputClass {
  GFilterInputStreamClass parent_class;
};

GType counting_input_get_type();
void counting_input_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(CountingInput, counting_input, G_TYPE_FILTER_INPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM, counting_input_pollable_init))

GInputStream *base_of(gpointer self) { return g_filter_input_stream_get_base_stream(G_FILTER_INPUT_STREAM(self)); }

// Counts `n` bytes just read; false (with `error` set) when they pass the budget.
bool account(gpointer self, gssize n, GError **error) {
  if (n <= 0) return true;
  ReadBudget &b = **reinterpret_cast<CountingInput *>(self)->budget;
  b.read += static_cast<uint64_t>(n);
  if (b.limit && b.read > b.delivered + b.limit) {
    b.tripped = true;
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                "more than %" G_GUINT64_FORMAT " bytes received without a whole message", b.limit);
    return false;
  }
  return true;
}

gssize counting_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error) {
  gssize n = g_input_stream_read(base_of(stream), buffer, count, cancellable, error);
  return account(stream, n, error) ? n : -1;
}

gboolean counting_can_poll(GPollableInputStream *stream) {
  GInputStream *base = base_of(stream);
  return G_IS_POLLABLE_INPUT_STREAM(base) && g_pollable_input_stream_can_poll(G_POLLABLE_INPUT_STREAM(base));
}

gboolean counting_is_readable(GPollableInputStream *stream) {
  return g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(base_of(stream)));
}

GSource *counting_create_source(GPollableInputStream *stream, GCancellable *cancellable) {
  GSource *base = g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(base_of(stream)), cancellable);
  GSource *source = g_pollable_source_new_full(stream, base, cancellable);
  g_source_unref(base);
  return source;
}

gssize counting_read_nonblocking(GPollableInputStream *stream, void *buffer, gsize count, GError **error) {
  gssize n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(base_of(stream)), buffer, count,
                                                      nullptr, error);
  return account(stream, n, error) ? n : -1;
}

void counting_input_pollable_init(GPollableInputStreamInterface *iface) {
  iface->can_poll = counting_can_poll;
  iface->is_readable = counting_is_readable;
  iface->create_source = counting_create_source;
  iface->read_nonblocking = counting_read_nonblocking;
}

void counting_input_finalize(GObject *object) {
  delete reinterpret_cast<CountingInput *>(object)->budget;
  G_OBJECT_CLASS(counting_input_parent_class)->finalize(object);
}

void counting_input_class_init(CountingInputClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = counting_input_finalize;
  G_INPUT_STREAM_CLASS(klass)->read_fn = counting_read;
}

void counting_input_init(CountingInput *self) { self->budget = nullptr; }

}  // namespace

GInputStream *counting_input_new(GInputStream *base, std::shared_ptr<ReadBudget> budget) {
  auto *self = static_cast<CountingInput *>(
      g_object_new(counting_input_get_type(), "base-stream", base, "close-base-stream", TRUE, nullptr));
  self->budget = new std::shared_ptr<ReadBudget>(std::move(budget));
  return G_INPUT_STREAM(self);
}

}  // namespace webrtclive
