#!/usr/bin/env bash
# Builds the development corpus for retrieval and answer quality (bench/qa/dev_*.jsonl) from
# Debian's documentation packages. Nothing of it is committed; only this script is.
#
#   TARGET_DIR/r-manuals/      the 7 R manuals (PDF, r-doc-pdf), as in shared/corpus/bench-corpus.sh
#   TARGET_DIR/gnuplot/        the gnuplot manual: gnuplot.pdf and html/*.html (gnuplot-doc), as in
#                              bench-corpus.sh; the PDF and the HTML pages hold the same manual
#                              (the QA files take the HTML page as gold; --no-gnuplot-pdf leaves
#                              the PDF out so that gold is unique)
#   TARGET_DIR/debian-docs/    plain-text English documentation: the Debian FAQ (debian-faq, .txt)
#                              and the current texts of doc-debian (constitution, social contract,
#                              bug tracking system guides, mailing lists, manifesto)
#   TARGET_DIR/zh/             Chinese documentation (fetch_zh)
#
# Usage: dev-corpus.sh TARGET_DIR [--no-gnuplot-pdf]
# Needs apt-get and dpkg; runs `apt-get update` once if a download fails. Safe to re-run: it
# rebuilds TARGET_DIR.
set -euo pipefail
target=${1:?usage: dev-corpus.sh TARGET_DIR [--no-gnuplot-pdf]}
gnuplot_pdf=yes
if [ "${2:-}" = "--no-gnuplot-pdf" ]; then gnuplot_pdf=no; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# download PACKAGE...: .deb files into $work/debs, unpacked into $work/x
download() {
  mkdir -p "$work/debs" "$work/x"
  if ! ( cd "$work/debs" && apt-get download "$@" >/dev/null 2>&1 ); then
    echo "apt-get download $* failed; running apt-get update" >&2
    apt-get update >/dev/null
    ( cd "$work/debs" && apt-get download "$@" >/dev/null ) || {
      echo "apt-get download $* failed" >&2; exit 1; }
  fi
  local deb
  for deb in "$work/debs"/*.deb; do dpkg -x "$deb" "$work/x"; done
}

fetch_r_manuals() {
  mkdir -p "$target/r-manuals"
  local m
  for m in R-intro R-data R-admin R-FAQ R-lang R-ints R-exts; do
    cp "$work/x/usr/share/R/doc/manual/$m.pdf" "$target/r-manuals/"
  done
}

fetch_gnuplot() {
  mkdir -p "$target/gnuplot/html"
  if [ "$gnuplot_pdf" = yes ]; then cp "$work/x/usr/share/doc/gnuplot/gnuplot.pdf" "$target/gnuplot/"; fi
  cp "$work/x/usr/share/doc/gnuplot/htmldocs/"*.html "$target/gnuplot/html/"
}

fetch_debian_docs() {
  local out="$target/debian-docs" doc=$work/x/usr/share/doc/debian f
  mkdir -p "$out"
  gunzip -c "$doc/FAQ/debian-faq.en.txt.gz" >"$out/debian-faq.en.txt"
  # The current versions only: the older constitution.1.x / social-contract.1.x texts would answer
  # the same questions as the current ones.
  for f in constitution.txt social-contract.txt mailing-lists.txt bug-reporting.txt \
      bug-log-mailserver.txt bug-maint-info.txt bug-maint-mailcontrol.txt; do
    gunzip -c "$doc/$f.gz" >"$out/$f"
  done
  gunzip -c "$doc/debian-manifesto.gz" >"$out/debian-manifesto.txt"
  for f in bug-log-access.txt bug-mailserver-refcard.txt source-unpack.txt; do
    cp "$doc/$f" "$out/"
  done
}

fetch_zh() {
  # Simplified Chinese documentation, two kinds (bench/qa/dev_zh.jsonl):
  #   zh/debian-reference/  Debian Reference 2.100 (debian-reference-zh-cn): the preface, chapters 1-12
  #                         and appendix A as HTML, one file per chapter. Left out: index.zh-cn.html
  #                         (the table of contents) and the .txt/.pdf editions (the same book again).
  #   zh/debian-edu/        the Debian Edu / Skolelinux 12 Bookworm manual (debian-edu-doc-zh-cn) as
  #                         one 98-page PDF; the QA pages are this PDF's. Left out: the bullseye manual
  #                         (mostly the same text), the HTML and EPUB editions, the PNG screenshots.
  local zw=$work/zh-debs
  mkdir -p "$zw/x" "$target/zh/debian-reference" "$target/zh/debian-edu"
  if ! ( cd "$zw" && apt-get download debian-reference-zh-cn debian-edu-doc-zh-cn >/dev/null 2>&1 ); then
    echo "apt-get download of the Chinese documentation failed; running apt-get update" >&2
    apt-get update >/dev/null
    ( cd "$zw" && apt-get download debian-reference-zh-cn debian-edu-doc-zh-cn >/dev/null ) || {
      echo "apt-get download debian-reference-zh-cn debian-edu-doc-zh-cn failed" >&2; exit 1; }
  fi
  local deb f
  for deb in "$zw"/*.deb; do dpkg -x "$deb" "$zw/x"; done
  for f in pr01 ch01 ch02 ch03 ch04 ch05 ch06 ch07 ch08 ch09 ch10 ch11 ch12 apa; do
    cp "$zw/x/usr/share/debian-reference/$f.zh-cn.html" "$target/zh/debian-reference/"
  done
  f=$zw/x/usr/share/doc/debian-edu-doc-zh-cn/debian-edu-bookworm-manual.pdf
  [ -f "$f" ] || { echo "no $f: the package moved on; bench/qa/dev_zh.jsonl gives pages of the Bookworm manual" >&2; exit 1; }
  cp "$f" "$target/zh/debian-edu/"
}

download r-doc-pdf gnuplot-doc debian-faq doc-debian
rm -rf "$target"
mkdir -p "$target"
fetch_r_manuals
fetch_gnuplot
fetch_debian_docs
fetch_zh
find "$target" -type f | wc -l | xargs echo "files:"
du -sh "$target" | cut -f1 | xargs echo "size:"
