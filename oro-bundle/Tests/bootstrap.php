<?php

/**
 * PHPUnit bootstrap for the bundle's unit tests, which run without Oro.
 *
 * - Symfony's Form, Validator, Security Core, DependencyInjection, Config and Yaml components come from the
 *   Debian packages .ci/run installs (php-symfony-*, autoloaders under /usr/share/php); they are real.
 * - The Oro classes the bundle uses are fakes in Tests/Fakes: the same names, namespaces and signatures as
 *   Oro's source, each naming the file it stands for.
 * - The bundle's own classes load by its PSR-4 prefix (composer.json).
 */

$symfony = [
    'Symfony/Component/Form/autoload.php',
    'Symfony/Component/Validator/autoload.php',
    'Symfony/Component/Security/Core/autoload.php',
    'Symfony/Component/DependencyInjection/autoload.php',
    'Symfony/Component/Config/autoload.php',
    'Symfony/Component/Yaml/autoload.php',
];
foreach ($symfony as $autoload) {
    $path = stream_resolve_include_path($autoload);
    if (false === $path) {
        fwrite(STDERR, "missing $autoload: apt-get install -y php-symfony-form php-symfony-validator "
            . "php-symfony-security-core php-symfony-dependency-injection php-symfony-config php-symfony-yaml\n");
        exit(1);
    }
    require_once $path;
}

foreach (['ChainProcessor', 'ApiBundle', 'IntegrationBundle', 'DotmailerBundle', 'PlatformServices'] as $fake) {
    require_once __DIR__ . '/Fakes/' . $fake . '.php';
}

spl_autoload_register(static function (string $class): void {
    $prefix = 'Reconciler\\Bundle\\DotmailerApiBundle\\';
    if (str_starts_with($class, $prefix)) {
        $file = dirname(__DIR__) . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
