<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\Api\Processor;

use Oro\Bundle\ApiBundle\Metadata\EntityMetadata;
use Oro\Bundle\ApiBundle\Processor\GetMetadata\MetadataContext;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;
use Reconciler\Bundle\DotmailerApiBundle\Api\Processor\SetIntegrationSyncIdentifierGenerator;

/** What ApiBundle/Processor/Create/JsonApi/ExtractEntityId.php checks before it asks for "data.id". */
final class SetIntegrationSyncIdentifierGeneratorTest extends TestCase
{
    public function testTheMetadataSaysTheIdIsGenerated(): void
    {
        $metadata = new EntityMetadata(IntegrationSync::class);
        $context = new MetadataContext();
        $context->setResult($metadata);

        (new SetIntegrationSyncIdentifierGenerator())->process($context);

        self::assertTrue($metadata->hasIdentifierGenerator());
    }

    public function testNoMetadataIsNoError(): void
    {
        $context = new MetadataContext();
        $context->setResult(null);

        (new SetIntegrationSyncIdentifierGenerator())->process($context);

        self::assertNull($context->getResult());
    }
}
