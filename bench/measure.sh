# Sourced by the bench row scripts (data_rows.sh, row_change_rows.sh).
# measure KIND ENGINE CMD...: wall and CPU (user + system) seconds of one
# process, appended to $RESULTS as JSON with the first line it prints
# (needs RESULTS and BASE).
measure() {
  local kind=$1 engine=$2 t out
  shift 2
  out="$BASE/measure-out.txt"
  t=$( { TIMEFORMAT='%R %U %S'; time "$@" > "$out"; } 2>&1 | tail -1)
  python3 -c 'import json,sys; w,u,s=map(float,sys.argv[3].split()); print(json.dumps(dict(kind=sys.argv[1], engine=sys.argv[2], wall=w, cpu=u+s, out=sys.argv[4])))' \
    "$kind" "$engine" "$t" "$(head -c 200 "$out" | head -1)" >> "$RESULTS"
  rm -f "$out"
}
