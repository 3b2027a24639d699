#!/usr/bin/env bash
# Times the statistics, rating and export endpoints against a running livedesk seeded with
# `livedesk seed`. Usage: scripts/bench-stats.sh BASE_URL OWNER_EMAIL [PASSWORD]
set -euo pipefail
base=$1 email=$2 password=${3:-seeded password}
token=$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
today=$(date -u +%F)
year_ago=$(date -u -d '364 days ago' +%F)
month_ago=$(date -u -d '29 days ago' +%F)
time_it() {
  local label=$1 path=$2 best=999
  for _ in 1 2 3; do
    t=$(curl -s -o /dev/null -w '%{time_total}' -H "authorization: Bearer $token" "$base$path")
    best=$(echo "$t $best" | awk '{print ($1 < $2) ? $1 : $2}')
  done
  printf '| %s | %.0f ms |\n' "$label" "$(echo "$best * 1000" | bc)"
}
time_it "stats/dialogs, 365 days, UTC" "/api/v1/stats/dialogs?from=$year_ago&to=$today"
time_it "stats/dialogs, 365 days, Asia/Kolkata" "/api/v1/stats/dialogs?from=$year_ago&to=$today&tz=Asia/Kolkata"
time_it "stats/dialogs, 30 days, Europe/Berlin" "/api/v1/stats/dialogs?from=$month_ago&to=$today&tz=Europe/Berlin"
time_it "stats/dialogs, 365 days, one chat + channel" "/api/v1/stats/dialogs?from=$year_ago&to=$today&chat_id=1&channel=web"
# One seeded operator (not the owner) and one tag, unless given.
operator=${OPERATOR_ID:-$(curl -sf -H "authorization: Bearer $token" "$base/api/v1/operators" \
  | grep -o '"id":[0-9]*' | sed -n 2p | cut -d: -f2)}
tag=${TAG_ID:-$(curl -sf -H "authorization: Bearer $token" "$base/api/v1/tags" \
  | grep -o '"id":[0-9]*' | sed -n 1p | cut -d: -f2)}
time_it "stats/dialogs, 365 days, one operator ($operator)" "/api/v1/stats/dialogs?from=$year_ago&to=$today&operator_id=$operator"
time_it "stats/dialogs, 30 days, Europe/Berlin, one operator" "/api/v1/stats/dialogs?from=$month_ago&to=$today&tz=Europe/Berlin&operator_id=$operator"
time_it "stats/dialogs, 365 days, one tag ($tag)" "/api/v1/stats/dialogs?from=$year_ago&to=$today&tag_ids=$tag"
time_it "stats/dialogs, 30 days, Europe/Berlin, one tag" "/api/v1/stats/dialogs?from=$month_ago&to=$today&tz=Europe/Berlin&tag_ids=$tag"
time_it "stats/operators, 365 days, one tag" "/api/v1/stats/operators?from=$year_ago&to=$today&tag_ids=$tag"
time_it "stats/operators, 365 days" "/api/v1/stats/operators?from=$year_ago&to=$today"
time_it "stats/operators, 30 days" "/api/v1/stats/operators?from=$month_ago&to=$today"
time_it "ratings, 365 days" "/api/v1/ratings?from=$year_ago&to=$today"
time_it "ratings, 30 days" "/api/v1/ratings?from=$month_ago&to=$today"
time_it "ratings/reviews, first page" "/api/v1/ratings/reviews?from=$year_ago&to=$today"
# About 100,000 dialogs of a 1,000,000-dialog year: one run, the file is written to /dev/null.
export_from=$(date -u -d '36 days ago' +%FT%TZ)
t=$(curl -s -o /dev/null -w '%{time_total} %{size_download}' -H "authorization: Bearer $token" \
  "$base/api/v1/exports/sessions?created_from=$export_from&tz=Europe/Berlin")
printf '| export sessions since %s (%s bytes) | %.0f ms |\n' "$export_from" "${t#* }" "$(echo "${t% *} * 1000" | bc)"
