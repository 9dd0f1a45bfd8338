#!/usr/bin/env bash
# demo.sh: the whole loop on the bundled real Jülich Landsat pair, in the
# embedded mode (no server): change patches, zone layers, 图斑 and
# verification tasks, field exports, patrol-ledger reconciliation.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo-out}
W=bin/weipian
rm -rf "$out"
mkdir -p "$out"
db="--db $out/weipian.db --data $out/weipian-data --log-level warn"
B=testdata/juelich/LS20010525.tif
A=testdata/juelich/LS20010626.tif

echo "== 1. change patches (weipian detect)"
$W detect --before $B --after $A --out "$out/detect" --log-level warn

echo "== 2. zone layers (demo set: real farmland from train.shp; drawn patrol zones, townships, approval)"
for kf in "耕地 gengdi" "永久基本农田 yjjbnt" "行政区 xingzhengqu" "巡查区 xunchaqu" "批准用地 pizhun"; do
  set -- $kf
  $W zones import --kind "$1" "testdata/demo-zones/$2.geojson" --name "演示$1" $db | sed -n 1p
done

echo "== 3. a batch: detect, judge into 图斑, create verification tasks"
id=$($W batch submit --before $B --after $A --name "2001年演示批次" --region 999001 $db | awk 'NR==1 {print $2}')
$W batch status "$id" $db
$W tuban list --batch "$id" $db | awk 'NR==1 || $7 != "非关注变化"'
echo
$W tasks list $db

echo "== 4. field exports for the patrol team (GeoJSON, KML, GPX, XLSX and image chips)"
$W tasks export --team 演示巡查二组 --format zip --out "$out/演示巡查二组_核查任务.zip" $db

echo "== 5. patrol ledger and track, reconciled with the satellite"
$W ledger import testdata/demo-ledger/*.csv testdata/demo-ledger/*.gpx $db
$W reconcile --batch "$id" --period 2001-06 --out "$out/reconcile" $db

echo "== 6. verification results (demo): verdicts, stopping, filing, rectification"
mapfile -t J < <($W tasks list $db | awk '$1 ~ /^[0-9]+$/ {print $2}')
tr() { $W tasks transition "$@" $db >/dev/null; }
for j in "${J[@]:0:5}"; do tr "$j" --to 核查中 --by 李某; done
# 1: illegal, stopped, filed, demolished and restored to farmland: closed.
tr "${J[0]}" --to 已核查 --by 李某 --verdict 违法 --type 违法占地 --reason "演示：未经批准占用耕地建房"
tr "${J[0]}" --to 已制止 --by 李某 --reason "演示：现场责令停止"
tr "${J[0]}" --to 已立案 --by 执法大队 --case-no "演示立〔2001〕1号"
tr "${J[0]}" --to 整改中 --by 执法大队 --rectification 拆除复耕
tr "${J[0]}" --to 已办结 --by 执法大队 --reason "演示：已拆除复耕"
# 2: illegal, stopped and filed: still open.
tr "${J[1]}" --to 已核查 --by 李某 --verdict 违法 --type 违法占地
tr "${J[1]}" --to 已制止 --by 李某
tr "${J[1]}" --to 已立案 --by 执法大队
# 3: legal, with its approval; 4: a false change; 5: illegal, not yet stopped.
tr "${J[2]}" --to 已核查 --by 李某 --verdict 合法 --approval "演示〔2001〕1号"
tr "${J[2]}" --to 已办结 --by 李某
tr "${J[3]}" --to 已核查 --by 李某 --verdict 伪变化 --reason "演示：云影"
tr "${J[3]}" --to 已办结 --by 李某
tr "${J[4]}" --to 已核查 --by 李某 --verdict 违法 --type 违法占地
echo
$W tasks list $db

echo "== 7. 下发: a province's batch (demo package), joined with the county's own detection; its verification returned"
msg=$($W xiafa import testdata/demo-xiafa --source 省 --batch-name "2026年12月省级下发（演示）" $db)
echo "$msg"
xf=$(echo "$msg" | grep -o 'b[0-9a-f]\{15\}' | sed -n 1p)
$W tasks transition 999001P2026120002 --to 核查中 --by 演示核查员 $db
$W tasks findings 999001P2026120002 --by 演示核查员 --opinion 非农违法 --description "现场为新推平土地，堆放建材" --project "某物流堆场（演示）" $db
$W tasks transition 999001P2026120002 --to 已核查 --verdict 违法 --type 违法占地 --reason "未取得用地批准" --by 演示核查员 $db
$W xiafa export --batch "$xf" --out "$out/核查成果" $db

echo "== 8. the web console and the API: an administrator and the imagery to submit batches from"
printf 'weipian-demo\n' | $W users add admin --role 管理员 --display 演示管理员 --password-file - $db
$W imagery add $B --name "2001-05-25 Landsat 7（演示）" $db
$W imagery add $A --name "2001-06-26 Landsat 7（演示）" $db

echo "== 9. the annual report for the demo county (2001: the year of the pair's 后时相)"
formats=xlsx,html,pdf
if ! command -v chromium >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
  echo "(no Chromium: the PDF is skipped; scripts/setup.sh report installs it)"
  formats=xlsx,html
fi
$W report --period 2001 --unit 演示县自然资源局 --format $formats --out "$out/report" $db

echo
echo "Results in $out/:"
echo "  detect/patches.geojson, detect/patches.gpkg (QGIS), detect/summary.json"
echo "  weipian-data/batches/$id/   the batch's patches and summary"
echo "  演示巡查二组_核查任务.zip     tasks for the field (GeoJSON, KML, GPX, XLSX, chips)"
echo "  reconcile/                 对账_图斑.xlsx/.geojson, 对账_巡查区.xlsx"
echo "  核查成果/                   the 下发 batch's return package (Shapefile GBK in CGCS2000, Excel, photos, manifest)"
echo "  report/                    the annual report: 卫片执法统计报表_2001.xlsx, .html (charts, map; opens offline), .pdf"
echo "  weipian.db                 the state (SQLite): bin/weipian tasks list --db $out/weipian.db"
echo
echo "Console: bin/weipian serve --db $out/weipian.db --data $out/weipian-data, then http://127.0.0.1:8080/"
echo "         log in as admin / weipian-demo (a demo password: change it with weipian users passwd admin)"
