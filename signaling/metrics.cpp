// SPDX-License-Identifier: LGPL-2.1-or-later
#include "metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace webrtclive {

void MetricHistogram::observe(double v) {
  size_t i = 0;
  while (i < bounds.size() && v > bounds[i]) i++;
  counts[i]++;
  sum += v;
  count++;
}

std::string MetricsText::escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string MetricsText::number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

void MetricsText::family(std::string_view name, std::string_view type, std::string_view help) {
  if (std::find(families_.begin(), families_.end(), name) != families_.end()) return;
  families_.emplace_back(name);
  std::string h;
  for (char c : help) {
    if (c == '\\')
      h += "\\\\";
    else if (c == '\n')
      h += "\\n";
    else
      h += c;
  }
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += h;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void MetricsText::sample(std::string_view name, const MetricLabels &labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); i++) {
      if (i) out_ += ',';
      out_ += labels[i].first;
      out_ += "=\"";
      out_ += escape_label(labels[i].second);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += number(value);
  out_ += '\n';
}

void MetricsText::gauge(std::string_view name, std::string_view help, double value) {
  family(name, "gauge", help);
  sample(name, value);
}

void MetricsText::counter(std::string_view name, std::string_view help, double value) {
  family(name, "counter", help);
  sample(name, value);
}

void MetricsText::counters(std::string_view name, std::string_view help, std::string_view label,
                           const std::map<std::string, uint64_t> &by_label) {
  family(name, "counter", help);
  for (const auto &[value, n] : by_label) sample(name, {{std::string(label), value}}, static_cast<double>(n));
}

void MetricsText::histogram(std::string_view name, std::string_view help, const MetricHistogram &h) {
  family(name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); i++) {
    cumulative += h.counts[i];
    sample(bucket, {{"le", number(h.bounds[i])}}, static_cast<double>(cumulative));
  }
  sample(bucket, {{"le", "+Inf"}}, static_cast<double>(h.count));
  sample(std::string(name) + "_sum", h.sum);
  sample(std::string(name) + "_count", static_cast<double>(h.count));
}

void MetricsText::summary(std::string_view name, std::string_view help, std::vector<double> values) {
  family(name, "summary", help);
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  for (double q : {0.5, 0.9, 0.99}) {
    double v = NAN;
    if (!values.empty()) {
      size_t i = static_cast<size_t>(std::ceil(q * values.size())) - 1;
      v = values[std::min(i, values.size() - 1)];
    }
    char label[16];
    snprintf(label, sizeof label, "%g", q);
    sample(name, {{"quantile", label}}, v);
  }
  sample(std::string(name) + "_sum", sum);
  sample(std::string(name) + "_count", static_cast<double>(values.size()));
}

namespace {
// Fields of /proc/self/stat after the command name.
std::vector<std::string> proc_stat_fields() {
  std::ifstream f("/proc/self/stat");
  std::string line;
  std::getline(f, line);
  auto close = line.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  while (rest >> field) fields.push_back(field);
  return fields;  // fields[0] is field 3 (state)
}

unsigned count_dir(const char *path) {
  unsigned n = 0;
  if (DIR *d = opendir(path)) {
    while (struct dirent *e = readdir(d))
      if (e->d_name[0] != '.') n++;
    closedir(d);
  }
  return n;
}

double boot_time_s() {
  std::ifstream f("/proc/stat");
  std::string key;
  double value = 0;
  while (f >> key) {
    if (key == "btime") {
      f >> value;
      return value;
    }
    f.ignore(1 << 16, '\n');
  }
  return 0;
}
}  // namespace

void write_process_metrics(MetricsText &out) {
  const auto f = proc_stat_fields();
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // Field numbers of proc(5): utime 14, stime 15, num_threads 20,
  // starttime 22, vsize 23, rss 24; fields[i] is field i + 3.
  auto field = [&](size_t n) { return n - 3 < f.size() ? std::stod(f[n - 3]) : 0.0; };
  out.counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
              (field(14) + field(15)) / tick);
  out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", field(24) * page);
  out.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", field(23));
  out.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.",
            boot_time_s() + field(22) / tick);
  out.gauge("process_threads", "Threads of the process.", field(20));
  out.gauge("process_open_fds", "Open file descriptors.", count_dir("/proc/self/fd"));
  struct rlimit lim {};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0)
    out.gauge("process_max_fds", "Maximum number of open file descriptors.", static_cast<double>(lim.rlim_cur));
}

}  // namespace webrtclive
