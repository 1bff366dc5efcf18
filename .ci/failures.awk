# The failing tests of one `npm test` log, for the end of the CI output (a CI page shows only
# the end). TAP (Node 20, 22): each 'not ok' line, its location and the first line of its error.
/^[[:space:]]*not ok [0-9]+ - /{sub(/^[[:space:]]*/, ""); print substr($0, 1, 300); n=1; next}
n && /^[[:space:]]*location: /{sub(/^[[:space:]]*/, "  "); print substr($0, 1, 300); next}
n && /^[[:space:]]*error: \|-$/{m=1; next}
m && NF{sub(/^[[:space:]]*/, "  "); print substr($0, 1, 300); m=0; n=0; next}
n && /^[[:space:]]*error: /{sub(/^[[:space:]]*/, "  "); print substr($0, 1, 300); n=0; next}
# spec (Node 23+): after '✖ failing tests:', each test's location, name and first error line.
/^✖ failing tests:/{f=1; next}
f && /^test at /{print; e=1; next}
f && /^✖ /{print substr($0, 1, 300); next}
f && e && NF{print substr($0, 1, 300); e=0}
