#include "report/json.hpp"
#include "report/text.hpp"

#include <gtest/gtest.h>

namespace nsrun::report {
namespace {

TEST(Printable, LeavesOrdinaryTextAlone)
{
  EXPECT_EQ(printable("/var/lib/docker/overlay2/abc/merged"),
            "/var/lib/docker/overlay2/abc/merged");
  EXPECT_EQ(printable("/mnt/caf\xc3\xa9 space"), "/mnt/caf\xc3\xa9 space");
}

TEST(Printable, EscapesWhatCouldBreakATableOrATerminal)
{
  EXPECT_EQ(printable("a\nb\tc"), "a\\x0ab\\x09c");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(printable("back\\slash"), "back\\\\slash");
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xc2\x9b"), "\\xc2\\x9b") << "C1 control (CSI)";
  EXPECT_EQ(printable("\xe2\x82"), "\\xe2\\x82") << "truncated sequence";
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf") << "overlong";
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "surrogate";
}

TEST(Utf8, Validates)
{
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80")) << "above U+10FFFF";
  EXPECT_FALSE(valid_utf8("\x80"));
}

TEST(ShellQuote, QuotesOnlyWhenNeeded)
{
  EXPECT_EQ(shell_quote("/dev/loop3"), "/dev/loop3");
  EXPECT_EQ(shell_quote("UUID=1234-abcd"), "UUID=1234-abcd");
  EXPECT_EQ(shell_quote("/mnt/a b"), "'/mnt/a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
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
