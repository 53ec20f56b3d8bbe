<?php

namespace Reconciler\Bundle\DotmailerApiBundle;

use Symfony\Component\HttpKernel\Bundle\Bundle;

/**
 * Exposes the dotdigital (dotmailer) integration of OroCRMDotmailerBundle through Oro's back-office JSON:API:
 * Resources/config/oro/api.yml plus the processors in Api/Processor that an api.yml alone cannot express.
 *
 * Oro registers it from Resources/config/oro/bundles.yml (OroKernel collects every bundles.yml of the
 * installed packages: oroinc/platform src/Oro/Bundle/DistributionBundle/OroKernel.php). Its services are
 * loaded by DependencyInjection\ReconcilerDotmailerApiExtension, found by Symfony's naming convention.
 */
class ReconcilerDotmailerApiBundle extends Bundle
{
}
