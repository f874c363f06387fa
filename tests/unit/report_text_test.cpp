// SPDX-License-Identifier: Apache-2.0
#include "report/json.hpp"
#include "report/metrics.hpp"
#include "report/table.hpp"
#include "sys/error.hpp"
#include "text/escape.hpp"

#include <gtest/gtest.h>

namespace nsrun::report {
namespace {

TEST(Printable, LeavesOrdinaryTextAlone)
{
  EXPECT_EQ(text::printable("/var/lib/docker/overlay2/abc/merged"),
            "/var/lib/docker/overlay2/abc/merged");
  EXPECT_EQ(text::printable("/mnt/caf\xc3\xa9 space"), "/mnt/caf\xc3\xa9 space");
}

TEST(Printable, EscapesWhatCouldBreakATableOrATerminal)
{
  EXPECT_EQ(text::printable("a\nb\tc"), "a\\x0ab\\x09c");
  EXPECT_EQ(text::printable("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(text::printable("back\\slash"), "back\\\\slash");
  EXPECT_EQ(text::printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(text::printable("\xc2\x9b"), "\\xc2\\x9b") << "C1 control (CSI)";
  EXPECT_EQ(text::printable("\xe2\x82"), "\\xe2\\x82") << "truncated sequence";
  EXPECT_EQ(text::printable("\xc0\xaf"), "\\xc0\\xaf") << "overlong";
  EXPECT_EQ(text::printable("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "surrogate";
}

TEST(Utf8, Validates)
{
  EXPECT_TRUE(text::valid_utf8(""));
  EXPECT_TRUE(text::valid_utf8("plain"));
  EXPECT_TRUE(text::valid_utf8("\xf0\x9f\x98\x80"));
  EXPECT_FALSE(text::valid_utf8("\xf4\x90\x80\x80")) << "above U+10FFFF";
  EXPECT_FALSE(text::valid_utf8("\x80"));
}

TEST(ShellQuote, QuotesOnlyWhenNeeded)
{
  EXPECT_EQ(text::shell_quote("/dev/loop3"), "/dev/loop3");
  EXPECT_EQ(text::shell_quote("UUID=1234-abcd"), "UUID=1234-abcd");
  EXPECT_EQ(text::shell_quote("/mnt/a b"), "'/mnt/a b'");
  EXPECT_EQ(text::shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(text::shell_quote(""), "''");
  EXPECT_EQ(text::shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
}

TEST(JsonBytes, ValidUtf8StaysAPlainString)
{
  nlohmann::json j;
  put_bytes(j, "path", "/mnt/new\nline");
  EXPECT_EQ(j["path"], "/mnt/new\nline");
  EXPECT_FALSE(j.contains("path_hex"));
  EXPECT_EQ(dump(j), "{\n  \"path\": \"/mnt/new\\nline\"\n}\n");
}

TEST(JsonBytes, InvalidUtf8KeepsTheExactBytesInHex)
{
  nlohmann::json j;
  put_bytes(j, "path", "/m\xff");
  EXPECT_EQ(j["path"], "/m\xef\xbf\xbd") << "U+FFFD in the readable field";
  EXPECT_EQ(j["path_hex"], "2f6dff");
  const auto text = dump(j);
  const auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["path_hex"], "2f6dff") << text;
}

} // namespace
} // namespace nsrun::report

namespace nsrun::report {
namespace {

// -o LIST as util-linux reads it: every name must be a column, an empty one
// ("A,", ",A", "A,,B") included, whether or not there are rows to show.
TEST(TableColumns, EveryNameInTheListMustBeAColumnEmptyOnesToo)
{
  const Table table({{"NAME", "the name"}, {"NS", "the namespace"}});
  auto with = [](const std::string& list) {
    TableStyle style;
    style.output = list;
    return style;
  };
  auto raw = [&](const std::string& list) {
    auto style = with(list);
    style.raw = true;
    return table.render(style);
  };
  EXPECT_EQ(raw("NS,NAME"), "NS NAME\n");
  EXPECT_EQ(raw("+NS"), "NAME NS\n");
  for (const char* bad : {"NAME,", ",NAME", "NAME,,NS", ",", "NOPE", "+"}) {
    EXPECT_THROW((void)raw(bad), sys::UsageError) << bad;
  }
}

} // namespace
} // namespace nsrun::report

namespace nsrun::report {
namespace {

// metrics keeps every byte for Prometheus, but never drives a terminal.
TEST(MetricsOnATerminal, ControlBytesAreShownNotSent)
{
  EXPECT_EQ(for_terminal("target=\"/mnt/\x1b[31mred\"} 1\nnext 2\n"),
            "target=\"/mnt/\\x1b[31mred\"} 1\nnext 2\n");
  EXPECT_EQ(for_terminal("tab\there\x7f"), "tab\\x09here\\x7f");
  EXPECT_EQ(for_terminal("caf\xc3\xa9"), "caf\xc3\xa9");
}

} // namespace
} // namespace nsrun::report
