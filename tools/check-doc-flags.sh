#!/usr/bin/env bash
# Docs name only flags that exist: every `--flag` that README.md or docs/*.md shows in a command
# that invokes `dien SUB` (fenced code blocks and inline code spans) must appear in
# `dien SUB --help`, and a code span that is only flags (`--format csv --spec spec.json`) must
# name flags of some subcommand (unless its line is about a bench program or a tool). Exits 1 naming each doc, command and unknown flag.
#   tools/check-doc-flags.sh PATH/TO/dien
set -euo pipefail
DIEN=$1
cd "$(dirname "$0")/.."
subs="train eval predict gen-data prepare compare info"
helps=$(mktemp)
trap 'rm -f "$helps"' EXIT
{
  printf '%s\t%s\n' "-" "$("$DIEN" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u | tr '\n' ' ')"
  for s in $subs; do
    printf '%s\t%s\n' "$s" "$("$DIEN" "$s" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u | tr '\n' ' ')"
  done
} > "$helps"

perl -e '
  use strict; use warnings;
  my ($helps, @docs) = @ARGV;
  my (%flags, %any);
  open(my $h, "<", $helps) or die;
  while (<$h>) { chomp; my ($s, $f) = split /\t/; $flags{$s}{$_} = 1, $any{$_} = 1 for split / /, $f; }
  my $subs = join "|", grep { $_ ne "-" } keys %flags;
  my ($bad, $checked) = (0, 0);
  # The flags of each `dien SUB ...` command in $text (up to a shell separator or comment).
  sub check_commands {
    my ($doc, $text) = @_;
    while ($text =~ /(?:^|[\s\/`(])dien\s+($subs)\b([^\n#|;&`]*)/g) {
      my ($sub, $rest) = ($1, $2);
      for my $f ($rest =~ /(?:^|[\s\[])(--[a-z][a-z0-9-]*)/g) {
        $checked++;
        next if $flags{$sub}{$f} || $flags{"-"}{$f};
        print "$doc: `dien $sub ... $f`: dien $sub has no $f (dien $sub --help)\n";
        $bad = 1;
      }
    }
  }
  for my $doc (@docs) {
    open(my $d, "<", $doc) or die "$doc: $!";
    local $/; my $all = <$d>;
    my $prose = "";
    # Fenced blocks: shell lines, continuation backslashes joined.
    my @parts = split /^```[^\n]*\n/m, $all;
    for my $i (0 .. $#parts) {
      if ($i % 2) { (my $b = $parts[$i]) =~ s/\\\n\s*/ /g; check_commands($doc, $b); }
      else { $prose .= $parts[$i] . "\n"; }
    }
    # Inline code spans (they may wrap across lines).
    while ($prose =~ /`([^`]+)`/g) {
      my $pos = $-[0];
      (my $span = $1) =~ s/\s+/ /g;
      if ($span =~ /(?:^|[\s\/])dien\s+(?:$subs)\b/) { check_commands($doc, $span); next; }
      next unless $span =~ /^--[a-z]/;
      # Flags of the bench programs and tools are described next to their names: skip those lines.
      my $start = rindex($prose, "\n", $pos) + 1;
      next if substr($prose, $start, $pos - $start) =~ /bench|tools\//;
      for my $f ($span =~ /(?:^|\s)(--[a-z][a-z0-9-]*)/g) {
        $checked++;
        next if $any{$f};
        print "$doc: `$span`: no dien subcommand has $f\n";
        $bad = 1;
      }
    }
  }
  print "doc flags: $checked flags named in the docs, all in dien --help\n" unless $bad;
  exit $bad;
' "$helps" README.md docs/*.md
