#!/bin/bash
# Host-side test of "make install" and "make uninstall" (docs/install.md):
# into a temporary DESTDIR, with the default PREFIX and another one, the
# exact file list; the soname; a program built against the installed header
# and library through pkg-config alone, shared and static, and run; the
# installed CLI's --version; every man page rendered by man -l without a
# warning; and uninstall leaving no file behind.
. "$(dirname "$0")/lib.sh"
O=${O:-build}
case "$O" in /*) ;; *) O="$top/$O" ;; esac
version=$(cat "$top/VERSION")

# The files (and links, with their targets) under a root.
listing() {
	(cd "$1" && find . \( -type f -o -type l \) -printf '%p %y %l\n' | sort)
}

expected_list() {	# PREFIX
	local p=.$1
	sort <<LIST
$p/bin/mmdma f 
$p/include/mmdma/libmmdma.h f 
$p/include/mmdma/linux/mmdma.h f 
$p/lib/libmmdma.a f 
$p/lib/libmmdma.so l libmmdma.so.0
$p/lib/libmmdma.so.0 l libmmdma.so.$version
$p/lib/libmmdma.so.$version f 
$p/lib/pkgconfig/libmmdma.pc f 
$p/share/man/man1/mmdma.1 f 
$p/share/man/man3/libmmdma.3 f 
$p/share/man/man4/mmdma.4 f 
./etc/modprobe.d/mmdma.conf f 
./etc/udev/rules.d/60-mmdma.rules f 
LIST
}

# A failure first: a DESTDIR install must not touch the host, so a root
# that cannot be written to makes make install fail (not install elsewhere).
n=$((n + 1))
mkdir -p "$tmp/ro" && chmod 0555 "$tmp/ro"
if [ "$(id -u)" -ne 0 ]; then
	make -s -C "$top" O="$O" install DESTDIR="$tmp/ro/x" > /dev/null 2>&1 &&
		bad "make install into an unwritable DESTDIR succeeded"
fi

for prefix in /usr/local /opt/mmdma-test; do
	root=$tmp/root$(echo "$prefix" | tr / _)
	args=(O="$O" DESTDIR="$root")
	[ "$prefix" = /usr/local ] || args+=(PREFIX="$prefix")
	n=$((n + 1))
	if ! make -s -C "$top" "${args[@]}" install > "$tmp/install.log" 2>&1; then
		bad "make install ${args[*]}: $(tail -n 3 "$tmp/install.log")"
		continue
	fi
	expect_eq "$prefix: installed files" "$(listing "$root")" "$(expected_list "$prefix")"

	lib=$root$prefix/lib
	expect_eq "$prefix: soname" \
		"$(readelf -d "$lib/libmmdma.so.$version" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" \
		"libmmdma.so.0"
	export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$lib/pkgconfig
	expect_eq "$prefix: pkg-config version" "$(pkg-config --modversion libmmdma)" "$version"
	expect_eq "$prefix: pkg-config cflags" "$(pkg-config --cflags libmmdma | sed 's/ *$//')" \
		"-I$root$prefix/include/mmdma"

	# Shared: linked against libmmdma.so.0, and runs.
	n=$((n + 1))
	if cc -std=c11 -Wall -Wextra -Werror -o "$tmp/prog_shared" "$top/tests/host/install_prog.c" \
		$(pkg-config --cflags --libs libmmdma) 2> "$tmp/cc.log"; then
		expect_eq "$prefix: shared program's libmmdma" \
			"$(readelf -d "$tmp/prog_shared" | grep -o 'libmmdma[^]]*')" "libmmdma.so.0"
		out=$(LD_LIBRARY_PATH=$lib "$tmp/prog_shared" "$version" 2>&1) ||
			bad "$prefix: shared program failed: $out"
	else
		bad "$prefix: shared build failed: $(head -n 5 "$tmp/cc.log")"
	fi
	# Static: no shared libmmdma at all, and runs without the library path.
	n=$((n + 1))
	if cc -std=c11 -Wall -Wextra -Werror -static -o "$tmp/prog_static" \
		"$top/tests/host/install_prog.c" $(pkg-config --cflags --libs --static libmmdma) \
		2> "$tmp/cc.log"; then
		readelf -d "$tmp/prog_static" 2>/dev/null | grep -q NEEDED &&
			bad "$prefix: the static program needs shared libraries"
		out=$("$tmp/prog_static" "$version" 2>&1) || bad "$prefix: static program failed: $out"
	else
		bad "$prefix: static build failed: $(head -n 5 "$tmp/cc.log")"
	fi
	unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR

	expect_eq "$prefix: mmdma --version" \
		"$(LD_LIBRARY_PATH=$lib "$root$prefix/bin/mmdma" --version 2>&1)" "mmdma $version"

	for page in man1/mmdma.1 man3/libmmdma.3 man4/mmdma.4; do
		f=$root$prefix/share/man/$page
		n=$((n + 1))
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 > "$tmp/page")
		[ -z "$warn" ] || bad "$page: man -l warns: $warn"
		grep -q '^NAME' "$tmp/page" || bad "$page: no NAME section rendered"
		grep -q "mmdma $version" "$tmp/page" || bad "$page: footer does not name mmdma $version"
		grep -q '@VERSION@' "$f" && bad "$page: @VERSION@ left unsubstituted"
	done

	n=$((n + 1))
	if make -s -C "$top" "${args[@]}" uninstall > "$tmp/uninstall.log" 2>&1; then
		expect_eq "$prefix: files left after uninstall" "$(listing "$root")" ""
	else
		bad "make uninstall: $(tail -n 3 "$tmp/uninstall.log")"
	fi
done

finish test_install
