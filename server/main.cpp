// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclive-signalling-server: the signalling server of gst-webrtc-live on
// its own, for deployments where producers and consumers meet on a server
// that none of them runs. It is the SignallingServer the elements embed
// (same Hub, same protocol code, same viewer pages), plus a command line,
// TLS, logs and signal handling. See docs/signalling-server.md.
//
// Threads: main() runs the default GMainContext (signals); the server runs
// its own thread and context, and its hooks (the per-peer log lines) run
// there. GLib logging is thread-safe.
#include <glib-unix.h>
#include <gst/gst.h>
#include <libsoup/soup.h>
#include <sys/resource.h>

#include <algorithm>
#include <clocale>
#include <csignal>
#include <string>
#include <vector>

#include "gobj.h"
#include "server.h"

#ifndef WEBRTCLIVE_VERSION
#define WEBRTCLIVE_VERSION "unknown"
#endif

namespace {

constexpr const char *kProgram = "webrtclive-signalling-server";
constexpr const char *kDefaultHost = "0.0.0.0";
constexpr int kDefaultPort = 8443;  // gst-webrtc-signalling-server's default
// On SIGINT/SIGTERM, how long clients get to answer the close frame.
constexpr unsigned kCloseTimeoutMs = 1000;

constexpr const char *kSummary =
    "Runs the WebRTC signalling server of gst-webrtc-live. It speaks the JSON protocol of\n"
    "gst-webrtc-signalling-server (gst-plugins-rs), so webrtclivesink / webrtclivesrc\n"
    "(server=ws://HOST:PORT/), webrtcsink / webrtcsrc and the gstwebrtc-api browser\n"
    "library all meet on it. The WebSocket upgrade is accepted on any path.\n"
    "\n"
    "The same port serves the viewer page at /, the camera publishing page at\n"
    "/publish.html and a JSON health report at /health. With --cert and --key it\n"
    "serves wss:// and https:// instead of ws:// and http://.";

constexpr const char *kDescription =
    "Logs:\n"
    "  One line per start, stop and error on stderr (GLib logging, domain webrtclive-server).\n"
    "  G_MESSAGES_DEBUG=webrtclive-server adds a line per peer connection and disconnection\n"
    "  with its remote address; GST_DEBUG=webrtcliveserver:6 traces the server in depth.\n"
    "  Message contents are never logged at the default levels.\n"
    "\n"
    "Signals:\n"
    "  SIGINT, SIGTERM  close every WebSocket with 1001 \"going away\" and exit with status 0.\n"
    "\n"
    "Exit status: 0 after SIGINT/SIGTERM, 1 when the server cannot start (port in use,\n"
    "unreadable certificate, ...), 2 for a bad command line.\n"
    "\n"
    "Example:\n"
    "  webrtclive-signalling-server --host 127.0.0.1 --port 8443\n"
    "  gst-launch-1.0 videotestsrc is-live=true ! webrtclivesink server=ws://127.0.0.1:8443/";

struct Args {
  webrtclive::GCharPtr host;
  int port = kDefaultPort;
  webrtclive::GCharPtr cert;
  webrtclive::GCharPtr key;
  webrtclive::GCharPtr web_root;
  webrtclive::GCharPtr token_file;
  // ICE servers handed to clients at GET /ice-servers.json.
  webrtclive::GCharPtr stun_server, turn_secret_file, ice_transport_policy;
  std::vector<std::string> turn_servers;
  int turn_credential_ttl = static_cast<int>(webrtclive::kDefaultTurnCredentialTtl);
  std::vector<std::string> allowed_origins;
  webrtclive::GCharPtr jwt_key, jwt_algorithm;
  webrtclive::ConnectionLimits limits{.max_connections = 0, .max_per_address = 1024};  // 0: from the fd limit
  webrtclive::Hub::Limits hub;
  bool version = false;
};

// Parses the command line (GStreamer's options included, which also runs
// gst_init). Returns -1 to go on, else the exit status.
int parse_args(int *argc, char ***argv, Args *args) {
  gchar *host = nullptr, *cert = nullptr, *key = nullptr, *web_root = nullptr, *token_file = nullptr;
  gboolean version = FALSE;
  gchar **origins = nullptr;
  gchar *jwt_key = nullptr, *jwt_algorithm = nullptr;
  gchar *stun = nullptr, *turn_secret_file = nullptr, *policy = nullptr;
  gchar **turns = nullptr;
  int port = kDefaultPort;
  int max_conn = 0, max_per_addr = 1024, request_timeout = 10, max_sessions = 8,
      max_message = static_cast<int>(webrtclive::protocol::kMaxMessageBytes);
  const GOptionEntry entries[] = {
      {"host", 'H', 0, G_OPTION_ARG_STRING, &host,
       "IP address to listen on: 0.0.0.0 (the default) for every IPv4 interface, 127.0.0.1 for this "
       "machine only, :: for every IPv6 and IPv4 interface",
       "ADDRESS"},
      {"port", 'p', 0, G_OPTION_ARG_INT, &port,
       "TCP port of the WebSocket and the web pages (default 8443, as gst-webrtc-signalling-server; "
       "0 = pick a free port, shown on the \"listening on\" line)",
       "PORT"},
      {"cert", 0, 0, G_OPTION_ARG_FILENAME, &cert,
       "PEM file with the TLS certificate (and its chain): serve wss:// and https:// instead of ws:// "
       "and http://; needs --key",
       "FILE"},
      {"key", 0, 0, G_OPTION_ARG_FILENAME, &key, "PEM file with the private key of the --cert certificate",
       "FILE"},
      {"web-root", 0, 0, G_OPTION_ARG_FILENAME, &web_root,
       "Also serve the static files in DIR; a file there wins over the built-in file of the same path "
       "(/index.html, /publish.html and their scripts and style sheet). Paths with \"..\" are refused",
       "DIR"},
      {"token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
       "Require the token in FILE (its first line) on every WebSocket, as \"Authorization: Bearer TOKEN\" "
       "or ?token=TOKEN; others get HTTP 401. The environment variable WEBRTCLIVE_TOKEN does the same. "
       "The pages stay public",
       "FILE"},
      {"allowed-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &origins,
       "Let pages of ORIGIN (e.g. https://app.example; * = any) open the signalling WebSocket; repeat for "
       "more. Browsers always send their page's origin: by default only this server's own pages and "
       "clients that send none (not browsers) are accepted, others get HTTP 403",
       "ORIGIN"},
      {"jwt-key", 0, 0, G_OPTION_ARG_FILENAME, &jwt_key,
       "Require a JSON Web Token on every WebSocket (Authorization: Bearer, the subprotocol "
       "webrtclive.token.TOKEN, or ?token=), signed with the key in FILE: the HS256 secret (32 bytes or "
       "more) or the PEM public key for RS256/ES256. Its \"webrtclive\" claim grants roles and producer "
       "names; connections close when it expires. See docs/security.md",
       "FILE"},
      {"jwt-algorithm", 0, 0, G_OPTION_ARG_STRING, &jwt_algorithm,
       "Algorithm of --jwt-key: HS256 (default), RS256 or ES256; tokens signed otherwise are refused", "ALG"},
      {"max-connections", 0, 0, G_OPTION_ARG_INT, &max_conn,
       "Most open TCP connections; more are answered 503 and closed (default: what the open file limit "
       "allows, less a reserve)",
       "N"},
      {"max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &max_per_addr,
       "Most open TCP connections from one IP address (default 1024; lower it where clients are not behind "
       "one NAT)",
       "N"},
      {"max-sessions-per-connection", 0, 0, G_OPTION_ARG_INT, &max_sessions,
       "Most sessions one connection may have started and not ended (default 8; a viewer needs one)", "N"},
      {"max-message-size", 0, 0, G_OPTION_ARG_INT, &max_message,
       "Largest signalling message in bytes (default 262144; a 16-m-line SDP is ~20 KB)", "BYTES"},
      {"request-timeout", 0, 0, G_OPTION_ARG_INT, &request_timeout,
       "Seconds from accepting a connection to its whole HTTP request; slower ones (or silent ones) are "
       "closed (default 10; WebSockets are kept, with pings every 30 s)",
       "S"},
      {"stun-server", 0, 0, G_OPTION_ARG_STRING, &stun,
       "Hand this STUN server (stun:host:port) to clients at GET /ice-servers.json (the pages use it). "
       "Default: none", "URL"},
      {"turn-server", 0, 0, G_OPTION_ARG_STRING_ARRAY, &turns,
       "Hand this TURN server to clients at GET /ice-servers.json: turn:host:port, "
       "turn:host:port?transport=tcp or turns:host:port (static credentials as turn://user:pass@host:port, "
       "or none with --turn-secret-file); repeat for more (at most 8)", "URL"},
      {"turn-secret-file", 0, 0, G_OPTION_ARG_FILENAME, &turn_secret_file,
       "The TURN servers' shared secret (coturn's static-auth-secret) is the first line of FILE: every "
       "request to /ice-servers.json gets its own time-limited credentials (TURN REST scheme). Never logged",
       "FILE"},
      {"turn-credential-ttl", 0, 0, G_OPTION_ARG_INT, &args->turn_credential_ttl,
       "Seconds the credentials made from --turn-secret-file stay valid (default 3600)", "S"},
      {"ice-transport-policy", 0, 0, G_OPTION_ARG_STRING, &policy,
       "Tell clients which candidates to use: all (default) or relay (only through the TURN servers)", "POLICY"},
      {"version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  GOptionContext *ctx = g_option_context_new(nullptr);
  g_option_context_set_summary(ctx, kSummary);
  g_option_context_set_description(ctx, kDescription);
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  GError *err = nullptr;
  gboolean ok = g_option_context_parse(ctx, argc, argv, &err);
  g_option_context_free(ctx);
  args->host.reset(host);
  args->cert.reset(cert);
  args->key.reset(key);
  args->web_root.reset(web_root);
  args->token_file.reset(token_file);
  for (gchar **o = origins; o && *o; o++) args->allowed_origins.emplace_back(*o);
  args->jwt_key.reset(jwt_key);
  args->jwt_algorithm.reset(jwt_algorithm);
  g_strfreev(origins);
  args->stun_server.reset(stun);
  args->turn_secret_file.reset(turn_secret_file);
  args->ice_transport_policy.reset(policy);
  for (gchar **t = turns; t && *t; t++) args->turn_servers.emplace_back(*t);
  g_strfreev(turns);
  args->version = version;
  args->port = port;
  if (max_conn < 0 || max_per_addr < 1 || request_timeout < 1 || max_sessions < 1 || max_message < 4096) {
    g_printerr("%s: --max-connections, --max-connections-per-address, --max-sessions-per-connection and "
               "--request-timeout take positive numbers, --max-message-size at least 4096\n", kProgram);
    return 2;
  }
  args->limits.max_connections = static_cast<unsigned>(max_conn);
  args->limits.max_per_address = static_cast<unsigned>(max_per_addr);
  args->limits.request_timeout_s = static_cast<unsigned>(request_timeout);
  args->hub.max_sessions_per_peer = static_cast<unsigned>(max_sessions);
  args->hub.max_message_bytes = static_cast<size_t>(max_message);
  if (!ok) {
    g_printerr("%s: %s\nTry '%s --help'.\n", kProgram, err->message, kProgram);
    g_error_free(err);
    return 2;
  }
  if (*argc > 1) {
    g_printerr("%s: unexpected argument '%s'\nTry '%s --help'.\n", kProgram, (*argv)[1], kProgram);
    return 2;
  }
  if (port < 0 || port > 65535) {
    g_printerr("%s: --port %d is not a TCP port (0 to 65535)\n", kProgram, port);
    return 2;
  }
  if (static_cast<bool>(cert) != static_cast<bool>(key)) {
    g_printerr("%s: TLS needs both --cert and --key\n", kProgram);
    return 2;
  }
  return -1;
}

// The first line of `path` (a token, a secret), or false after saying why.
bool read_first_line(const char *path, const char *what, std::string *line) {
  gchar *contents = nullptr;
  GError *err = nullptr;
  if (!g_file_get_contents(path, &contents, nullptr, &err)) {
    g_printerr("%s: cannot read the %s: %s\n", kProgram, what, err->message);
    g_error_free(err);
    return false;
  }
  std::string t = contents;
  g_free(contents);
  *line = t.substr(0, t.find_first_of("\r\n"));
  if (line->empty()) g_printerr("%s: the %s '%s' is empty\n", kProgram, what, path);
  return !line->empty();
}

// --stun-server, --turn-server, --turn-secret-file, --turn-credential-ttl and
// --ice-transport-policy, checked; false after saying why.
bool ice_config(const Args &args, webrtclive::IceConfig *ice) {
  std::string why;
  if (args.stun_server) {
    auto u = webrtclive::parse_ice_url(args.stun_server.get(), &why);
    if (!u || u->scheme != webrtclive::IceUrl::Scheme::Stun) {
      g_printerr("%s: --stun-server: %s\n", kProgram, u ? "not a stun: URL" : why.c_str());
      return false;
    }
    ice->stun_server = args.stun_server.get();
  }
  std::string list;
  for (const auto &t : args.turn_servers) list += (list.empty() ? "" : ",") + t;
  auto turns = webrtclive::parse_turn_list(list, &why);
  if (!turns) {
    g_printerr("%s: --turn-server %s\n", kProgram, why.c_str());
    return false;
  }
  ice->turn_servers = *turns;
  if (args.turn_secret_file) {
    if (!read_first_line(args.turn_secret_file.get(), "TURN secret file", &ice->turn_secret)) return false;
    if (ice->turn_secret.size() > webrtclive::kMaxTurnSecretBytes) {
      g_printerr("%s: the TURN secret is longer than %zu bytes\n", kProgram, webrtclive::kMaxTurnSecretBytes);
      return false;
    }
  }
  if (args.turn_credential_ttl < static_cast<int>(webrtclive::kMinTurnCredentialTtl) ||
      args.turn_credential_ttl > static_cast<int>(webrtclive::kMaxTurnCredentialTtl)) {
    g_printerr("%s: --turn-credential-ttl takes %u to %u seconds\n", kProgram, webrtclive::kMinTurnCredentialTtl,
               webrtclive::kMaxTurnCredentialTtl);
    return false;
  }
  ice->turn_credential_ttl = static_cast<unsigned>(args.turn_credential_ttl);
  const std::string policy = args.ice_transport_policy ? args.ice_transport_policy.get() : "all";
  if (policy != "all" && policy != "relay") {
    g_printerr("%s: --ice-transport-policy is all or relay\n", kProgram);
    return false;
  }
  ice->transport_policy = policy;
  return true;
}

// A server holds two descriptors per connection at most; start from the
// hard limit rather than the usual soft 1024.
void raise_fd_limit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rlim_t before = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
    g_debug("open file limit raised from %llu to %llu", static_cast<unsigned long long>(before),
            static_cast<unsigned long long>(rl.rlim_max));
}

gboolean on_signal(gpointer data) {
  g_message("shutting down");
  g_main_loop_quit(static_cast<GMainLoop *>(data));
  return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char **argv) {
  setlocale(LC_ALL, "");
  // The server loads no plugin: skip the registry scan at gst_init (faster
  // start, less memory). GStreamer's debug categories work without it.
  g_setenv("GST_REGISTRY_DISABLE", "yes", FALSE);
  Args args;
  if (int status = parse_args(&argc, &argv, &args); status >= 0) return status;
  std::string versions = std::string(kProgram) + " " + WEBRTCLIVE_VERSION + " (" +
                         webrtclive::take_string(gst_version_string()) + ", libsoup " +
                         std::to_string(soup_get_major_version()) + "." + std::to_string(soup_get_minor_version()) +
                         "." + std::to_string(soup_get_micro_version()) + ")";
  if (args.version) {
    g_print("%s\n", versions.c_str());
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  webrtclive::SignallingServer::Options options;
  options.address = args.host ? args.host.get() : kDefaultHost;
  options.port = static_cast<unsigned>(args.port);
  if (args.cert) options.tls_cert_file = args.cert.get();
  if (args.key) options.tls_key_file = args.key.get();
  if (args.web_root) options.web_root = args.web_root.get();
  options.close_timeout_ms = kCloseTimeoutMs;
  options.allowed_origins = args.allowed_origins;
  options.limits = args.limits;
  options.hub = args.hub;
  // Any producer may be played with WHEP, any consumer fed with WHIP.
  options.whep = true;
  options.whip = true;
  if (args.jwt_key) {
    std::string jwt_error;
    if (!webrtclive::load_jwt_config(args.jwt_algorithm ? args.jwt_algorithm.get() : "HS256", args.jwt_key.get(),
                                     &options.jwt, &jwt_error)) {
      g_printerr("%s: %s\n", kProgram, jwt_error.c_str());
      return 1;
    }
  } else if (args.jwt_algorithm) {
    g_printerr("%s: --jwt-algorithm needs --jwt-key\n", kProgram);
    return 2;
  }
  if (!options.limits.max_connections) {
    // Each connection holds one descriptor; keep some for everything else.
    struct rlimit rl;
    const rlim_t soft = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? rl.rlim_cur : 65536;
    options.limits.max_connections = static_cast<unsigned>(soft > 128 ? std::min<rlim_t>(soft - 64, 1u << 20) : 64);
  }
  if (args.token_file) {
    if (!read_first_line(args.token_file.get(), "token file", &options.token)) return 1;
  } else if (const char *env = g_getenv("WEBRTCLIVE_TOKEN"); env && *env) {
    options.token = env;
  }
  webrtclive::IceConfig ice;
  if (!ice_config(args, &ice)) return 2;
  // GET /ice-servers.json, fresh credentials per request.
  options.client_ice = [ice] { return webrtclive::make_client_ice(ice, g_get_real_time() / G_USEC_PER_SEC); };
  options.hooks.connected = [](const std::string &id, const std::string &remote) {
    g_info("peer %s connected from %s", id.c_str(), remote.c_str());
  };
  options.hooks.disconnected = [](const std::string &id, const std::string &remote, unsigned code) {
    g_info("peer %s (%s) disconnected, close code %u", id.c_str(), remote.c_str(), code);
  };
  options.hooks.refused = [](const std::string &id, const std::string &details) {
    g_debug("peer %s: answered with an error: %s", id.c_str(), details.c_str());
  };

  webrtclive::SignallingServer server;
  std::string error;
  if (!server.start(options, &error)) {
    g_warning("%s", error.c_str());
    return 1;
  }
  if (args.web_root) versions += std::string(", web root ") + args.web_root.get();
  g_message("%s", versions.c_str());
  for (const auto &url : server.urls()) {
    std::string ws = (server.tls() ? "wss" : "ws") + url.substr(url.find(':'));
    g_message("listening on %s (viewer page %s, health %shealth)", ws.c_str(), url.c_str(), url.c_str());
  }

  webrtclive::MainLoopPtr loop(g_main_loop_new(nullptr, FALSE));
  guint sigint = g_unix_signal_add(SIGINT, on_signal, loop.get());
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, loop.get());
  g_main_loop_run(loop.get());
  g_source_remove(sigint);
  g_source_remove(sigterm);

  server.stop();
  g_message("stopped");
  return 0;
}
