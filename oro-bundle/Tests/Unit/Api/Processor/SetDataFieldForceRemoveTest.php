<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\Api\Processor;

use Oro\Bundle\ApiBundle\Processor\Delete\DeleteContext;
use Oro\Bundle\DotmailerBundle\Entity\DataField;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Processor\SetDataFieldForceRemove;

/** The flag OroCRMDotmailerBundle's EventListener/DataFieldRemoveListener::preRemove reads. */
final class SetDataFieldForceRemoveTest extends TestCase
{
    public function testTheLoadedDataFieldIsMarkedForceRemove(): void
    {
        $dataField = new DataField();
        $context = new DeleteContext();
        $context->setResult($dataField);

        (new SetDataFieldForceRemove())->process($context);

        self::assertTrue($dataField->isForceRemove());
        self::assertSame($dataField, $context->getResult());
    }

    public function testADeleteThatLoadedNothingIsLeftToTheStockProcessors(): void
    {
        $context = new DeleteContext();

        (new SetDataFieldForceRemove())->process($context);

        self::assertFalse($context->hasResult());
        self::assertFalse($context->hasErrors());
    }
}
