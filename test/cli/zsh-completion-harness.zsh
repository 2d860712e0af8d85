# Runs pystore's zsh completion function outside an interactive shell: the completion builtins it calls
# are replaced by functions that print what they were given. $1 is the completion script.
compdef() { :; }
compadd() { print -r -- "compadd ${(j: :)@}"; }
_files() { print -r -- "_files"; }
_describe() {
  local -a arr
  arr=("${(@P)4}")
  print -rl -- "${arr[@]}"
}
source "$1"
words=(pystore store ''); CURRENT=3; _pystore
words=(pystore bundle --format ''); CURRENT=4; _pystore
words=(pystore bundle -o ''); CURRENT=4; _pystore
