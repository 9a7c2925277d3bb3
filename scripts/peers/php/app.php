<?php
// The PHP-FPM peer of scripts/bench: the same pages as scripts/peers/reports/*.sql,
// the usual way (PDO, persistent connections, one request per FPM child).
declare(strict_types=1);

function db(): PDO {
    static $pdo = null;
    if ($pdo === null) {
        $pdo = new PDO(getenv('BENCH_PDO_DSN'), 'postgres', null, [
            PDO::ATTR_PERSISTENT => true,
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_EMULATE_PREPARES => false,
        ]);
    }
    return $pdo;
}

function json_page(string $report, array $sections): void {
    header('Content-Type: application/json');
    echo json_encode(['report' => $report, 'status' => 'ok', 'sections' => $sections]);
}

function section(string $name, PDOStatement $st): array {
    return ['name' => $name, 'status' => 'ok', 'rows' => $st->fetchAll(PDO::FETCH_NUM)];
}

function id_param(string $name): int {
    $v = filter_input(INPUT_GET, $name, FILTER_VALIDATE_INT, ['options' => ['min_range' => 1, 'max_range' => 10000]]);
    if (!is_int($v)) {
        http_response_code(400);
        echo "$name: must be an integer between 1 and 10000\n";
        exit;
    }
    return $v;
}

$page = basename(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
switch ($page) {
    case 'sleep1':
        json_page('sleep1', [section('slept', db()->query('SELECT 1 AS slept FROM pg_sleep(1)'))]);
        break;
    case 'trivial':
        json_page('trivial', [section('one', db()->query('SELECT 1 AS one'))]);
        break;
    case 'onerow':
        $st = db()->prepare('SELECT id, name, price FROM bench_items WHERE id = ?');
        $st->execute([id_param('id')]);
        json_page('onerow', [section('item', $st)]);
        break;
    case 'twenty':
        $st = db()->prepare('SELECT id, name, price FROM bench_items WHERE id = ?');
        $sections = [];
        for ($i = 1; $i <= 20; $i++) {
            $st->execute([id_param("id$i")]);
            $sections[] = section("q$i", $st);
        }
        json_page('twenty', $sections);
        break;
    case 'fortunes':
        // asyncpage's own page for this report, with the table rows, times and
        // count left out (written by scripts/bench): the same HTML.
        $t0 = hrtime(true);
        $rows = db()->query('SELECT id, message FROM fortune')->fetchAll(PDO::FETCH_NUM);
        $rows[] = [0, 'Additional fortune added at request time.'];
        usort($rows, fn($a, $b) => strcmp($a[1], $b[1]));
        [$head, $tail] = explode('@ROWS@', file_get_contents(getenv('BENCH_FORTUNES')), 2);
        header('Content-Type: text/html; charset=utf-8');
        echo str_replace('@MS@', sprintf('%.1f', (hrtime(true) - $t0) / 1e6), $head);
        foreach ($rows as [$id, $message]) {
            echo '<tr><td class="n">', $id, '</td><td>',
                htmlspecialchars((string)$message, ENT_QUOTES | ENT_HTML401, 'UTF-8'), "</td></tr>\n";
        }
        echo str_replace('@COUNT@', (string)count($rows), $tail);
        break;
    default:
        http_response_code(404);
        echo "no such page\n";
}
