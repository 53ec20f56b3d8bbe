<?php

namespace Reconciler\Bundle\DotmailerApiBundle\DependencyInjection;

use Symfony\Component\Config\FileLocator;
use Symfony\Component\DependencyInjection\ContainerBuilder;
use Symfony\Component\DependencyInjection\Extension\Extension;
use Symfony\Component\DependencyInjection\Loader\YamlFileLoader;

/**
 * Loads Resources/config/services.yml: the API processors, each tagged "oro.api.processor" as the stock
 * bundles tag theirs (for example oroinc/platform src/Oro/Bundle/UserBundle/Resources/config/services_api.yml).
 */
class ReconcilerDotmailerApiExtension extends Extension
{
    public function load(array $configs, ContainerBuilder $container): void
    {
        $loader = new YamlFileLoader($container, new FileLocator(__DIR__ . '/../Resources/config'));
        $loader->load('services.yml');
    }
}
