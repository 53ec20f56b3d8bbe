<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Api\Processor;

use Oro\Bundle\ApiBundle\Metadata\EntityMetadata;
use Oro\Bundle\ApiBundle\Processor\GetMetadata\MetadataContext;
use Oro\Component\ChainProcessor\ContextInterface;
use Oro\Component\ChainProcessor\ProcessorInterface;

/**
 * Tells the API that an "integrationsyncs" resource gets its id on save (it is the id of the root job), so that
 * a create request without "data.id" is accepted.
 *
 * Without it, oroinc/platform src/Oro/Bundle/ApiBundle/Processor/Create/JsonApi/ExtractEntityId.php refuses the
 * request with "The identifier is mandatory", because a model has no Doctrine identifier generator. This is the
 * pattern of the platform's own model resources in tests,
 * ApiBundle/Tests/Functional/Environment/Processor/SetIdentifierGeneratorForTestModel.php, tagged on
 * "get_metadata" with priority -20 in ApiBundle/Resources/config/services_test.yml.
 */
class SetIntegrationSyncIdentifierGenerator implements ProcessorInterface
{
    public function process(ContextInterface $context): void
    {
        /** @var MetadataContext $context */

        $metadata = $context->getResult();
        if ($metadata instanceof EntityMetadata) {
            $metadata->setHasIdentifierGenerator(true);
        }
    }
}
