// SPDX-License-Identifier: LGPL-2.1-or-later
#include "client-common.h"

#include <algorithm>
#include <cmath>

namespace webrtclive {

unsigned backoff_ms(unsigned attempt, unsigned min_ms, unsigned max_ms, double random01) {
  double base = std::min<double>(max_ms, min_ms * std::pow(2.0, std::min(attempt, 30u)));
  double jittered = base * (0.5 + 0.5 * std::clamp(random01, 0.0, 1.0));
  return std::max(1u, static_cast<unsigned>(jittered));
}

std::string shown_url(const std::string &url) {
  std::string out = url.substr(0, url.find('?'));
  auto scheme = out.find("://");
  auto at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) out.erase(scheme + 3, at - scheme - 2);
  return out;
}

bool apply_ca_file(SoupSession *session, const std::string &ca_file, std::string *error) {
  if (ca_file.empty()) return true;
  GError *err = nullptr;
  GTlsDatabase *db = g_tls_file_database_new(ca_file.c_str(), &err);
  if (!db) {
    *error = "cannot read CA file '" + ca_file + "': " + (err ? err->message : "?");
    if (err) g_error_free(err);
    return false;
  }
  g_object_set(session, "tls-database", db, nullptr);
  g_object_unref(db);
  return true;
}

void accept_any_certificate(SoupMessage *msg) {
  g_signal_connect(msg, "accept-certificate",
                   G_CALLBACK(+[](SoupMessage *, GTlsCertificate *, GTlsCertificateFlags) -> gboolean { return TRUE; }),
                   nullptr);
}

GSource *one_shot(GMainContext *context, unsigned ms, std::function<void()> fn) {
  using Fn = std::function<void()>;
  GSource *source = g_timeout_source_new(ms);
  g_source_set_callback(
      source,
      [](gpointer d) -> gboolean {
        (*static_cast<Fn *>(d))();
        return G_SOURCE_REMOVE;
      },
      new Fn(std::move(fn)), [](gpointer d) { delete static_cast<Fn *>(d); });
  g_source_attach(source, context);
  g_source_unref(source);
  return source;
}

bool new_client_session(MainContextPtr *context, MainLoopPtr *loop, GRef<SoupSession> *session,
                        const std::string &ca_file, std::string *error) {
  context->reset(g_main_context_new());
  loop->reset(g_main_loop_new(context->get(), FALSE));
  g_main_context_push_thread_default(context->get());
  *session = GRef<SoupSession>::adopt(soup_session_new_with_options("user-agent", "webrtclive ", nullptr));
  bool ok = apply_ca_file(session->get(), ca_file, error);
  g_main_context_pop_thread_default(context->get());
  return ok;
}

std::thread run_client_thread(GMainContext *context, GMainLoop *loop, std::function<void()> after) {
  return std::thread([context, loop, after = std::move(after)] {
    g_main_context_push_thread_default(context);
    g_main_loop_run(loop);
    after();
    for (int i = 0; i < 20 && g_main_context_iteration(context, FALSE); i++) {
    }
    g_main_context_pop_thread_default(context);
  });
}

bool end_client_thread(GMainContext *context, std::thread &t, std::function<void()> ending) {
  post_to(context, std::move(ending));
  if (!t.joinable()) return true;
  if (t.get_id() == std::this_thread::get_id()) {
    t.detach();
    return false;
  }
  t.join();
  return true;
}

}  // namespace webrtclive
