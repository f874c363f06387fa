# SPDX-License-Identifier: Apache-2.0
# bash completion for nsrun(1): subcommands, options, propagation modes,
# named namespaces (from --ns-dir, $NSRUN_NS_DIR or /run/nsrun), pids for
# check --pid, columns for -o, and the COMMAND after the launcher's options.
# shellcheck disable=SC2207 # compgen output is split on purpose, as bash-completion does

_nsrun_ns_dir()
{
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		case ${COMP_WORDS[i]} in
		--ns-dir) echo "${COMP_WORDS[i + 1]}"; return ;;
		--ns-dir=*) echo "${COMP_WORDS[i]#--ns-dir=}"; return ;;
		esac
	done
	echo "${NSRUN_NS_DIR:-/run/nsrun}"
}

_nsrun_names()
{
	local dir entry
	dir=$(_nsrun_ns_dir)
	for entry in "$dir"/*; do
		[ -e "$entry" ] || continue
		entry=${entry##*/}
		printf '%s\n' "$entry"
	done
}

_nsrun_columns()
{
	case $1 in
	list) echo "NAME NS STATE PROPAGATION RELATION PROCS CREATED UNIT PID COMMAND" ;;
	leaks) echo "MAJ:MIN SOURCE FSTYPE NS TARGET HOLD PID COMMAND UNIT FREE" ;;
	holders) echo "NS NAME HOLD TARGET MAJ:MIN FSTYPE PROPAGATION REACH DETACH PID COMMAND UNIT" ;;
	esac
}

_nsrun()
{
	local cur prev sub i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	local subcommands="enter release list holders leaks tree check metrics watch help"
	local common="-v --verbose -q --quiet -h --help"
	local table="-J --json -n --noheadings -r --raw -o --output --output-all -u --notruncate"

	# The subcommand is the first word; without one, nsrun launches COMMAND.
	sub=${COMP_WORDS[1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		case $cur in
		-*) COMPREPLY=($(compgen -W "-p --propagation --name --ns-dir --best-effort $common -V --version --" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$subcommands" -- "$cur") $(compgen -c -- "$cur")) ;;
		esac
		return 0
	fi

	case $prev in
	--ns-dir) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
	-p | --propagation) COMPREPLY=($(compgen -W "slave private" -- "$cur")); return 0 ;;
	--name) COMPREPLY=($(compgen -W "$(_nsrun_names)" -- "$cur")); return 0 ;;
	--pid) COMPREPLY=($(compgen -W "$(cd /proc && printf '%s\n' [0-9]*)" -- "$cur")); return 0 ;;
	--pidfile | --under) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
	--textfile) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
	-o | --output)
		local prefix=""
		[ "${cur#*,}" != "$cur" ] && prefix="${cur%,*},"
		COMPREPLY=($(compgen -P "$prefix" -W "$(_nsrun_columns "$sub")" -- "${cur##*,}"))
		return 0
		;;
	esac

	case $sub in
	enter)
		# Options, then NAME, then the command to run there.
		for ((i = 2; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			--ns-dir) ((i++)) ;;
			-*) ;;
			*) COMPREPLY=($(compgen -c -- "$cur")); return 0 ;;
			esac
		done
		case $cur in
		-*) COMPREPLY=($(compgen -W "--ns-dir $common" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$(_nsrun_names)" -- "$cur")) ;;
		esac
		;;
	release)
		case $cur in
		-*) COMPREPLY=($(compgen -W "--force --ns-dir $common" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$(_nsrun_names)" -- "$cur")) ;;
		esac
		;;
	list) COMPREPLY=($(compgen -W "--ns-dir $table $common" -- "$cur")) ;;
	holders)
		case $cur in
		-*) COMPREPLY=($(compgen -W "--detach --dry-run --include-init --list --ns-dir $table $common" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac
		;;
	leaks) COMPREPLY=($(compgen -W "--under --ns-dir $table $common" -- "$cur")) ;;
	tree) COMPREPLY=($(compgen -W "--all -J --json --dot -u --notruncate --ns-dir $common" -- "$cur")) ;;
	check) COMPREPLY=($(compgen -W "--pid --pidfile --name --ns-dir -J --json $common" -- "$cur")) ;;
	metrics) COMPREPLY=($(compgen -W "--textfile --under --ns-dir $common" -- "$cur")) ;;
	watch) COMPREPLY=($(compgen -W "--under -J --json --ns-dir $common" -- "$cur")) ;;
	help) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$subcommands" -- "$cur")) ;;
	*)
		# The launcher: options until a word that is not one, then COMMAND.
		for ((i = 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			-p | --propagation | --name | --ns-dir) ((i++)) ;;
			--) COMPREPLY=($(compgen -c -- "$cur")); return 0 ;;
			-*) ;;
			*) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
			esac
		done
		case $cur in
		-*) COMPREPLY=($(compgen -W "-p --propagation --name --ns-dir --best-effort $common --" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -c -- "$cur")) ;;
		esac
		;;
	esac
	return 0
}
complete -F _nsrun nsrun
