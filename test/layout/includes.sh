#!/bin/bash
# test/layout/includes.sh: the house keeps its shape. Data flows one way
# (README, "Architecture"): each folder of src/ (and its mirror under include/faas/) may include
# only the folders listed for it below; libh2o is seen only by the stages that serve HTTP; each
# foreign library is named only by the adapter that wraps it. Prints every violation; exit 1 if any.
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2

# folder -> the folders it may include (its own always allowed)
declare -A allowed=(
    [core]=""
    [store]="core"
    [docker]="core"
    [tls]="core store"
    [http]="core"
    [proxy]="core store http"
    [service]="core store docker tls proxy"
    [job]="core store docker service"
    [api]="core store docker tls proxy service job http"
    [server]="core store docker tls http proxy service job api"
    [cli]="core"
)
# files that may include libh2o headers: the HTTP-facing stages (the proxy's control side excepted)
h2o_ok='^(src|include/faas)/(server|http|api)/|^src/proxy/(loop|forward|internal)|^include/faas/proxy/loop\.h$'
# foreign libraries and the only places that may name them (the client names libcurl and libarchive
# in one file each)
declare -A foreign=(
    ['<lmdb\.h>']='^src/store/'
    ['<curl/']='^src/(docker|tls)/|^src/cli/client\.c$'
    ['<(lua|lauxlib|lualib)\.h>']='^src/core/(policy|policy_lua|internal)'
    ['<archive']='^src/service/buildctx|^src/cli/zip\.c$'
)

fail=0
violation() { echo "layout: $1"; fail=1; }

files=$(find src include -name '*.[ch]' | sort)
for f in $files; do
    case $f in
        src/main.c) folder=main ;;
        src/*/*) folder=${f#src/}; folder=${folder%%/*} ;;
        include/faas/*/*) folder=${f#include/faas/}; folder=${folder%%/*} ;;
        *) violation "$f: outside the folder layout"; continue ;;
    esac
    if [ "$folder" != main ] && [ -z "${allowed[$folder]+x}" ]; then
        violation "$f: folder '$folder' is not a stage of the data flow (add it to README and this table)"
        continue
    fi
    while IFS= read -r line; do
        [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\"\<][^\">]*[\">]) ]] || continue
        inc=${BASH_REMATCH[1]}
        case $inc in
            '"faas/'*)
                dep=${inc#\"faas/}; dep=${dep%%/*}
                if [ "$folder" = main ]; then
                    [ "$dep" = server ] || [ "$dep" = core ] || [ "$dep" = cli ] ||
                        violation "$f includes $inc: main.c uses server/, core/ and cli/ only"
                elif [ "$dep" != "$folder" ] && [[ " ${allowed[$folder]} " != *" $dep "* ]]; then
                    violation "$f includes $inc: $folder/ may include only: $folder ${allowed[$folder]}"
                fi ;;
            '"'*)
                [[ $inc == '"internal.h"' || $inc == \"*.c\" ]] || [[ $f == src/job/helper_blob.c ]] ||
                    violation "$f includes $inc: quoted includes are \"faas/<folder>/<module>.h\" or the folder's \"internal.h\"" ;;
            '<h2o'*)
                [[ $f =~ $h2o_ok ]] || violation "$f includes $inc: libh2o belongs to server/, http/, api/ and the proxy's loop side" ;;
        esac
        for lib in "${!foreign[@]}"; do
            if [[ $inc =~ $lib ]] && ! [[ $f =~ ${foreign[$lib]} ]]; then
                violation "$f includes $inc: only ${foreign[$lib]} may"
            fi
        done
    done < <(grep -E '^[[:space:]]*#[[:space:]]*include' "$f")
done
# h2o types may not leak through a header below src/http either (forward declarations count).
if grep -lE '\bh2o_[a-z_]+_t\b' $(find include/faas/{core,store,docker,tls,service,job} -name '*.h') include/faas/proxy/{proxy,routes}.h 2>/dev/null; then
    violation "the headers above name libh2o types but sit below src/http"
fi
[ $fail -eq 0 ] && echo "layout: $(echo "$files" | wc -l) files keep the one-way data flow"
exit $fail
