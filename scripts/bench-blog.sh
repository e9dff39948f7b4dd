#!/usr/bin/env bash
# Seed 003's load test of the blog's pages: starts the blog (Release build, throwaway data folder, nothing else
# needed: home and post pages do not call Sluice), registers a user, writes 12 posts, then runs ./sluice bench's
# closed loop against the home page and a post page, with the output cache on (CacheSeconds=60) and off (0).
# Usage: scripts/bench-blog.sh [CONCURRENCY (1,10,50)] [DURATION (5s)]. Results: bench-results/blog-<time>/.
# AI generation under load is Sluice's side: ./sluice bench scenario concurrency (docs/benchmarks.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
levels="${1:-1,10,50}"
duration="${2:-5s}"
out="$root/bench-results/blog-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
dotnet build "$root/src/Sluice.Blog/Sluice.Blog.csproj" -c Release -nologo -v q -clp:ErrorsOnly
dll="$root/src/Sluice.Blog/bin/Release/net10.0/sluice-blog.dll"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
token() { sed -n 's/.*name="__RequestVerificationToken" value="\([^"]*\)".*/\1/p'; }
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true' EXIT
for cache in 60 0; do
  port="$(free_port)"; base="http://127.0.0.1:$port"; dir="$out/cache-$cache"; mkdir -p "$dir"
  dotnet "$dll" --urls="$base" --Blog:DataDir="$dir/data" --Blog:CacheSeconds=$cache --Logging:LogLevel:Default=Warning > "$dir/blog.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 150); do curl -sf -o /dev/null "$base/" && break; sleep 0.2; done
  jar="$dir/cookies"
  t="$(curl -s -c "$jar" -b "$jar" "$base/register" | token)"
  curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "__RequestVerificationToken=$t" -d "username=bench&password=benchpassword1" "$base/register"
  for n in $(seq 1 12); do
    t="$(curl -s -c "$jar" -b "$jar" "$base/posts/new" | token)"
    curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "__RequestVerificationToken=$t" --data-urlencode "title=Post $n" \
         --data-urlencode "body=Some **Markdown** for post $n, with a [link](https://example.org) and a list:

- one
- two" -d "published=true" "$base/posts"
  done
  for page in / /posts/3; do
    name="$( [[ "$page" == / ]] && echo home || echo detail )"
    "$root/sluice" bench --target http --url "$base$page" --concurrency "$levels" --warmup 1s --duration "$duration" --no-live --out "$dir/$name" > "$dir/$name.log"
  done
  curl -s "$base/metrics" > "$dir/metrics.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  echo "cache $cache s:"; grep -h '^| GET' "$dir"/home/results.md "$dir"/detail/results.md | cut -d'|' -f2-3,8-12
done
echo "results: $out"
