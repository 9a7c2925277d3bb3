SELECT $$ :not $$, $tag$ :nor $tag$, :yes, a[1:2], a[:lo:hi] -- :no
/* :no /* nested :no */ */ FROM t