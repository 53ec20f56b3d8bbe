<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit;

use Oro\Bundle\ApiBundle\Processor\CustomizeFormData\CustomizeFormDataContext;
use Oro\Component\ChainProcessor\ProcessorInterface;
use Symfony\Component\Form\Extension\Core\Type\FormType;
use Symfony\Component\Form\FormEvent;
use Symfony\Component\Form\FormEvents;
use Symfony\Component\Form\FormInterface;
use Symfony\Component\Form\Forms;

/**
 * Real Symfony forms wired to "customize_form_data" processors the way Oro's API wires them
 * (oroinc/platform src/Oro/Bundle/ApiBundle/Form/Extension/CustomizeFormDataExtension.php::addEventListeners:
 * pre_submit at priority -255 with the context data written back to the event, post_submit at 255), and
 * submitted the way ApiBundle/Processor/Shared/SubmitForm.php submits them: $form->submit($data, false).
 */
final class ApiForms
{
    /**
     * @param string[]                 $fields     the form's fields (text fields, as Symfony guesses them without a type guesser)
     * @param array<string, ProcessorInterface> $processors event name ("pre_submit" or "post_submit") => processor
     */
    public static function create(object $data, array $fields, array $processors): FormInterface
    {
        $builder = Forms::createFormFactory()->createBuilder(FormType::class, $data, ['data_class' => \get_class($data)]);
        foreach ($fields as $field) {
            $builder->add($field);
        }
        if (isset($processors['pre_submit'])) {
            $processor = $processors['pre_submit'];
            $builder->addEventListener(FormEvents::PRE_SUBMIT, static function (FormEvent $event) use ($processor): void {
                $context = self::context($event);
                $processor->process($context);
                $event->setData($context->getData());
            }, -255);
        }
        if (isset($processors['post_submit'])) {
            $processor = $processors['post_submit'];
            $builder->addEventListener(FormEvents::POST_SUBMIT, static function (FormEvent $event) use ($processor): void {
                $processor->process(self::context($event));
            }, 255);
        }

        return $builder->getForm();
    }

    /** The context of a processor that runs after the form was submitted ("post_validate"). */
    public static function contextOf(FormInterface $form): CustomizeFormDataContext
    {
        $context = new CustomizeFormDataContext();
        $context->setForm($form);
        $context->setData($form->getData());

        return $context;
    }

    private static function context(FormEvent $event): CustomizeFormDataContext
    {
        $context = new CustomizeFormDataContext();
        $context->setForm($event->getForm());
        $context->setData($event->getData());

        return $context;
    }
}
