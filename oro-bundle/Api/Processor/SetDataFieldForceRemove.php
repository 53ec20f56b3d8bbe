<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Api\Processor;

use Oro\Bundle\ApiBundle\Processor\Delete\DeleteContext;
use Oro\Bundle\DotmailerBundle\Entity\DataField;
use Oro\Component\ChainProcessor\ContextInterface;
use Oro\Component\ChainProcessor\ProcessorInterface;

/**
 * Marks a data field deleted through the API as "force remove", so that Oro deletes only its own record.
 *
 * OroCRMDotmailerBundle's EventListener/DataFieldRemoveListener::preRemove (a Doctrine entity listener on
 * DataField, Resources/config/services.yml) deletes the field in dotdigital on every remove and refuses the
 * remove when dotdigital refuses, unless DataField::isForceRemove() is true; the bundle's own import sets it with
 * DataField::setForceRemove(true) (ImportExport/Strategy/RemoveDataFieldStrategy.php). The API client deletes
 * the field in dotdigital itself first, so a second remote delete would fail. The flag is set in the
 * "delete_data" group with priority 10, before the stock DeleteEntityByDeleteHandler (priority -10,
 * oroinc/platform src/Oro/Bundle/ApiBundle/Resources/config/processors.delete.yml) removes the entity.
 */
class SetDataFieldForceRemove implements ProcessorInterface
{
    public function process(ContextInterface $context): void
    {
        /** @var DeleteContext $context */

        $dataField = $context->getResult();
        if ($dataField instanceof DataField) {
            $dataField->setForceRemove(true);
        }
    }
}
