// SPDX-License-Identifier: Apache-2.0
#include "report/tree_report.hpp"

#include "report/describe.hpp"
#include "report/json.hpp"
#include "report/table.hpp"
#include "text/escape.hpp"

#include <fmt/format.h>

#include <map>
#include <vector>

namespace nsrun::report {
namespace {

using diagnose::Tree;
using diagnose::TreeNode;
using snapshot::NsId;

std::string plural(std::size_t n, const char* one, const char* many)
{
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string creator_words(const snapshot::Snapshot& snapshot, const TreeNode& node)
{
  if (!node.creator) {
    return "no process";
  }
  return short_process(snapshot, *node.creator);
}

std::string pin_words(const snapshot::Snapshot& snapshot, const TreeNode& node)
{
  std::vector<std::string> pins;
  const auto* ns = snapshot.find(node.ns);
  if (ns != nullptr) {
    for (const auto& pin : ns->nsfs_pins) {
      // The file that gives an nsrun namespace its name goes without saying.
      if (!node.name || pin.target.size() < node.name->size() ||
          pin.target.compare(pin.target.size() - node.name->size(), node.name->size(),
                             *node.name) != 0) {
        pins.push_back("file " + text::printable(pin.target));
      }
    }
    for (const auto& pin : ns->fd_pins) {
      pins.push_back(fmt::format("fd {} of pid {}", pin.fd, pin.pid));
    }
    if (node.threads > 0 && node.members == 0) {
      pins.push_back(plural(node.threads, "thread", "threads"));
    }
  }
  return pins.empty() ? std::string() : "pinned by " + fmt::format("{}", fmt::join(pins, ", "));
}

std::string node_words(const snapshot::Snapshot& snapshot, const TreeNode& node)
{
  std::vector<std::string> parts;
  std::string head = ns_label(node.ns);
  if (node.name) {
    head += " '" + text::printable(*node.name) + "'";
  }
  if (node.is_host) {
    head += snapshot.host_is_init ? " host" : " host (the caller's; PID 1's is unreadable)";
  } else {
    head += " " + diagnose::relation_word(node.relation);
  }
  if (node.is_caller && !node.is_host) {
    head += " (yours)";
  }
  parts.push_back(head);
  // Right after the id: a terminal that cuts the line keeps the marker.
  if (node.leaked > 0) {
    parts.push_back(fmt::format("{} LEAKED", node.leaked));
  }
  if (!node.is_host) {
    parts.push_back(creator_words(snapshot, node));
  }
  parts.push_back(plural(node.members, "proc", "procs") + ", " +
                  plural(node.mounts, "mount", "mounts"));
  if (auto pins = pin_words(snapshot, node); !pins.empty()) {
    parts.push_back(pins);
  }
  return fmt::format("{}", fmt::join(parts, " · "));
}

class TextTree
{
public:
  TextTree(const snapshot::Snapshot& snapshot, const Tree& tree, std::size_t width,
           Collapse collapse)
      : m_snapshot(snapshot),
        m_tree(tree),
        m_width(width),
        m_collapse(collapse)
  {}

  std::string render()
  {
    const auto& root = m_tree.nodes.at(m_tree.root);
    line("", node_words(m_snapshot, root));
    children(root.children, "");
    if (!m_tree.orphans.empty()) {
      line("", "parent not known (no process, or its first one's parent is unseen):");
      children(m_tree.orphans, "");
    }
    return m_out;
  }

private:
  void line(const std::string& prefix, const std::string& text)
  {
    m_out += (m_width == 0 ? prefix + text : cut(prefix + text, m_width)) + "\n";
  }

  void children(const std::vector<NsId>& ids, const std::string& prefix)
  {
    // Which children to show, and which to fold into "N more like this".
    std::map<std::string, std::vector<NsId>> groups;
    for (const NsId id : ids) {
      groups[diagnose::sibling_key(m_snapshot, m_tree.nodes.at(id))].push_back(id);
    }
    std::vector<NsId> shown;
    std::vector<std::pair<NsId, std::size_t>> folded; // first folded id, count
    for (const NsId id : ids) {
      const auto& group = groups[diagnose::sibling_key(m_snapshot, m_tree.nodes.at(id))];
      const auto position =
          static_cast<std::size_t>(std::find(group.begin(), group.end(), id) - group.begin());
      if (m_collapse == Collapse::None || group.size() <= 3 || position < 2) {
        shown.push_back(id);
      } else if (position == 2) {
        folded.emplace_back(id, group.size() - 2);
      }
    }
    const std::size_t total = shown.size() + folded.size();
    std::size_t index = 0;
    for (const NsId id : shown) {
      const bool last = ++index == total;
      const auto& node = m_tree.nodes.at(id);
      line(prefix + (last ? "└─ " : "├─ "), node_words(m_snapshot, node));
      children(node.children, prefix + (last ? "   " : "│  "));
    }
    for (const auto& [id, count] : folded) {
      const bool last = ++index == total;
      const auto& node = m_tree.nodes.at(id);
      line(prefix + (last ? "└─ " : "├─ "),
           fmt::format("… {} more like the above ({}, {}); --all shows them", count,
                       node.creator ? text::printable(m_snapshot.process(*node.creator)->comm)
                                    : std::string("no process"),
                       diagnose::relation_word(node.relation)));
    }
  }

  const snapshot::Snapshot& m_snapshot;
  const Tree& m_tree;
  std::size_t m_width;
  Collapse m_collapse;
  std::string m_out;
};

std::string dot_escape(const std::string& text)
{
  std::string out;
  for (const char c : text::printable(text)) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

const char* dot_colour(const TreeNode& node)
{
  if (node.is_host) {
    return "#d9d9d9";
  }
  switch (node.relation) {
  case diagnose::HostRelation::Slave:
    return "#cfe2f3";
  case diagnose::HostRelation::Private:
    return "#fff2cc";
  case diagnose::HostRelation::Shared:
    return "#f4cccc";
  default:
    return "#ffffff";
  }
}

} // namespace

std::string tree_text(const snapshot::Snapshot& snapshot, const Tree& tree, std::size_t width,
                      Collapse collapse)
{
  return TextTree(snapshot, tree, width, collapse).render();
}

nlohmann::json tree_json(const snapshot::Snapshot& snapshot, const Tree& tree)
{
  nlohmann::json j;
  j["version"] = kJsonVersion;
  put_vantage(j, snapshot);
  j["namespaces"] = nlohmann::json::array();
  for (const auto& [id, node] : tree.nodes) {
    const auto* ns = snapshot.find(id);
    nlohmann::json n;
    n["ns"] = id;
    n["kernel_id"] = ns->kernel_id != 0 ? nlohmann::json(ns->kernel_id) : nlohmann::json(nullptr);
    n["parent"] = node.parent ? nlohmann::json(*node.parent) : nlohmann::json(nullptr);
    n["parent_known"] = node.parent.has_value() || node.is_host;
    n["name"] = node.name ? nlohmann::json(*node.name) : nlohmann::json(nullptr);
    n["host"] = node.is_host;
    n["yours"] = node.is_caller;
    n["relation"] = diagnose::relation_word(node.relation);
    n["creator"] = node.creator ? process_json(snapshot, *node.creator) : nlohmann::json(nullptr);
    n["nprocs"] = node.members;
    n["mounts"] = node.mounts;
    n["leaked_mounts"] = node.leaked;
    n["leaked_sources"] = nlohmann::json::array();
    for (const auto& source : node.leaked_sources) {
      nlohmann::json one;
      put_bytes(one, "source", source);
      n["leaked_sources"].push_back(one["source"]);
    }
    n["kept_alive_by"] = keepers_json(snapshot, *ns);
    n["children"] = node.children;
    j["namespaces"].push_back(n);
  }
  return j;
}

std::string tree_dot(const snapshot::Snapshot& snapshot, const Tree& tree)
{
  std::string out = "digraph nsrun {\n"
                    "  rankdir=LR;\n"
                    "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", "
                    "fontsize=10];\n"
                    "  edge [color=\"#666666\"];\n";
  for (const auto& [id, node] : tree.nodes) {
    std::string label = ns_label(id);
    if (node.name) {
      label += "\\n'" + dot_escape(*node.name) + "'";
    }
    label += "\\n" + (node.is_host ? std::string("host") : diagnose::relation_word(node.relation));
    if (node.creator) {
      label += "\\n" + dot_escape(short_process(snapshot, *node.creator));
    }
    label += "\\n" + plural(node.members, "proc", "procs") + ", " +
             plural(node.mounts, "mount", "mounts");
    if (node.leaked > 0) {
      label += fmt::format("\\n{} leaked: {}", node.leaked,
                           dot_escape(fmt::format("{}", fmt::join(node.leaked_sources, ", "))));
    }
    out += fmt::format("  \"{}\" [label=\"{}\", fillcolor=\"{}\"{}];\n", id, label,
                       dot_colour(node), node.leaked > 0 ? ", color=red, penwidth=2" : "");
  }
  for (const auto& [id, node] : tree.nodes) {
    for (const NsId child : node.children) {
      out += fmt::format("  \"{}\" -> \"{}\";\n", id, child);
    }
  }
  // What keeps a namespace alive besides processes: a bind mount of its
  // file (dashed, from the namespace the file is mounted in) or an fd.
  for (const auto& [id, node] : tree.nodes) {
    const auto* ns = snapshot.find(id);
    for (const auto& pin : ns->nsfs_pins) {
      if (tree.nodes.count(pin.in_ns) != 0) {
        out += fmt::format("  \"{}\" -> \"{}\" [style=dashed, color=\"#3c78d8\", "
                           "label=\"{}\", fontsize=8];\n",
                           pin.in_ns, id, dot_escape(pin.target));
      }
    }
    for (const auto& pin : ns->fd_pins) {
      const auto* holder = snapshot.process(pin.pid);
      if (holder != nullptr && tree.nodes.count(holder->mnt_ns) != 0) {
        out += fmt::format("  \"{}\" -> \"{}\" [style=dotted, color=\"#3c78d8\", "
                           "label=\"fd {} of pid {}\", fontsize=8];\n",
                           holder->mnt_ns, id, pin.fd, pin.pid);
      }
    }
  }
  if (!tree.orphans.empty()) {
    out += "  subgraph cluster_unknown {\n    label=\"parent not known\";\n    style=dashed;\n";
    for (const NsId id : tree.orphans) {
      out += fmt::format("    \"{}\";\n", id);
    }
    out += "  }\n";
  }
  out += "  subgraph cluster_legend {\n"
         "    label=\"legend\"; style=solid; fontsize=9;\n"
         "    legend_host [label=\"host\", fillcolor=\"#d9d9d9\"];\n"
         "    legend_slave [label=\"slave: receives the host's mounts\", fillcolor=\"#cfe2f3\"];\n"
         "    legend_private [label=\"private: nothing propagates\", fillcolor=\"#fff2cc\"];\n"
         "    legend_shared [label=\"shared: its mounts reach the host\", fillcolor=\"#f4cccc\"];\n"
         "    legend_leak [label=\"red border: holds leaked mounts\", fillcolor=\"#ffffff\", "
         "color=red, penwidth=2];\n"
         "    legend_host -> legend_slave [label=\"created from\", fontsize=8];\n"
         "    legend_private -> legend_shared [style=dashed, color=\"#3c78d8\", "
         "label=\"kept alive by its file (dotted: by an fd)\", fontsize=8];\n"
         "  }\n";
  out += "}\n";
  return out;
}

} // namespace nsrun::report
